#!/usr/bin/env node
// The `chat-cluster` executable: runs the built apps/cluster CLI (npm install builds it in `prepare`).
import { main } from "@chat-tui/cluster/cli";

process.exitCode = await main(process.argv.slice(2));
