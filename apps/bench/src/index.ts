// @chat-tui/bench: the `chat-bench` CLI, the benchmark, the nemesis and its history checker.
export { main, usage } from "./cli.js";
export { runBench, type BenchOptions, type BenchReport } from "./bench.js";
export { runNemesis, type NemesisOptions, type NemesisResult } from "./nemesis.js";
export { checkHistory, type CheckResult, type Violations } from "./checker.js";
export { parseJsonl, toJsonl, type HistoryRecord, type SeenMessage } from "./history.js";
