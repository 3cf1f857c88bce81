#!/usr/bin/env node
// The `chat-tui` executable: runs the built apps/tui CLI (npm install builds it in `prepare`).
import { main } from "@chat-tui/tui/cli";

process.exitCode = await main(process.argv.slice(2));
