// @chat-tui/tui: the terminal client.
export { main, usage } from "./cli.js";
export type { AppOptions } from "./app.js";
