#!/usr/bin/env node
// The `chat-bench` executable: runs the built apps/bench CLI (npm install builds it in `prepare`).
import { main } from "@chat-tui/bench/cli";

process.exitCode = await main(process.argv.slice(2));
