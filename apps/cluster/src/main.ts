// Process entry of `chat-cluster` (what the launcher spawns for each node).
import { main } from "./cli.js";

process.exitCode = await main(process.argv.slice(2));
