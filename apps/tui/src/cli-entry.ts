// A runnable entry for the built CLI (`node dist/cli-entry.js`), used by the E2E tests; the
// installed `chat-tui` bin (bin/chat-tui.js) does the same through `@chat-tui/tui/cli`.
import { main } from "./cli.js";

process.exitCode = await main(process.argv.slice(2));
