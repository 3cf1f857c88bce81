// `chat-bench`: the benchmark (`run`, the default) and the nemesis. Exit 0 ok, 1 failure
// (for `nemesis`: any history violation), 2 usage. Missed bench targets never fail the run.
import { parseArgs } from "node:util";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseClusterList } from "@chat-tui/client";
import { runBench } from "./bench.js";
import { renderReport } from "./report.js";
import { runNemesis } from "./nemesis.js";
import { checkHistory } from "./checker.js";
import { parseJsonl } from "./history.js";

export const usage = `chat-bench — benchmarks and a nemesis for a chat-tui cluster

Usage:
  chat-bench [run] [--cluster host:port,...] [--duration-ms 5000] [--levels 1,16,64]
                   [--failover-trials 5] [--skip-failover] [--skip-restart]
                   [--restart-messages 1000000] [--restart-fill seed|sends] [--restart-fill-ms 120000]
                   [--sustained-ms 30000] [--cpu-prof DIR] [--json]
      Floors of this machine (fsync, loopback gRPC echo), then acknowledged sends at each
      in-flight level, half of the top level's rate in an open loop (for --duration-ms, then
      for --sustained-ms, long enough to cross snapshots; 0 skips it), failover gaps (kill -9
      and SIGSTOP of the primary) and restart times of a 3-node cluster it starts itself
      (--cluster: a running one; kills are skipped).
      Targets are printed beside the figures; a miss never fails the run.
      The restart phase builds its N-message state with --restart-fill seed (default: a real
      send, a clean stop, \`chat-cluster seed\` on each data dir, real nodes restarted from it)
      or sends (through the cluster, bounded by --restart-fill-ms).
  chat-bench nemesis [--duration 60] [--clients 10] [--seed S] [--keep DIR] [--json]
      Real processes, clients sending and subscribing through the SDK, a seeded nemesis
      (kill -9 one or two nodes, SIGSTOP 1–5 s, restarts, kill -9 all three). Then heal,
      converge and check the history; exit 1 on any lost, duplicated, reordered or phantom
      message, keeping the history and node logs. --keep DIR keeps them after every run,
      each run in a new subdirectory of DIR (run-SEED-XXXXXX, printed at the end), so runs
      never mix.
  chat-bench check HISTORY.jsonl [--json]
      Re-check a kept nemesis history (exit 1 on a violation).

Options:
  -h, --help    show this help
  -v, --version print the version

Exit codes: 0 ok, 1 failure (nemesis: a violation), 2 usage error. A failure is one line;
CHAT_DEBUG=1 adds its stack.`;

class UsageError extends Error {}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

const runOptions = {
  "cluster": { type: "string" }, "duration-ms": { type: "string" }, "levels": { type: "string" },
  "failover-trials": { type: "string" }, "skip-failover": { type: "boolean" }, "skip-restart": { type: "boolean" },
  "restart-messages": { type: "string" }, "restart-fill-ms": { type: "string" }, "restart-fill": { type: "string" },
  "sustained-ms": { type: "string" }, "cpu-prof": { type: "string" },
  "json": { type: "boolean" }, "help": { type: "boolean", short: "h" }, "version": { type: "boolean", short: "v" },
} as const;

const checkOptions = { "json": { type: "boolean" }, "help": { type: "boolean", short: "h" } } as const;

const nemesisOptions = {
  "duration": { type: "string" }, "clients": { type: "string" }, "seed": { type: "string" },
  "keep": { type: "string" }, "json": { type: "boolean" }, "help": { type: "boolean", short: "h" },
} as const;

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const command = first === undefined || first.startsWith("-") ? "run" : first;
  const args = command === first ? rest : argv;
  try {
    if (command === "run") return await bench(args);
    if (command === "nemesis") return await nemesis(args);
    if (command === "check") return check(args);
    if (command === "help") {
      console.log(usage);
      return 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`chat-bench: ${(err as Error).message} (try --help)`);
      return 2;
    }
    // One line (a failed run's message may carry the node logs it quotes); the stack on demand.
    const debug = process.env.CHAT_DEBUG === "1";
    console.error(`chat-bench: ${debug ? (err as Error).stack ?? String(err) : (err as Error).message ?? String(err)}`);
    return 1;
  }
}

/** `--cluster host:port,…`, checked: a bad address is a usage error. */
function clusterOption(list: string): string[] {
  try {
    return parseClusterList(list);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function fillMode(value: string | undefined): "seed" | "sends" {
  if (value === undefined || value === "seed" || value === "sends") return value ?? "seed";
  throw new UsageError(`--restart-fill must be seed or sends, not "${value}"`);
}

async function bench(args: string[]): Promise<number> {
  const { values: v } = parseArgs({ args, options: runOptions, strict: true, allowPositionals: false });
  if (v.help) {
    console.log(usage);
    return 0;
  }
  if (v.version) {
    console.log(version());
    return 0;
  }
  const levels = (v.levels ?? "1,16,64").split(",").map((s) => integer(s.trim(), "levels", 1, 1, 1024));
  const json = v.json === true;
  const report = await runBench({
    cluster: v.cluster === undefined ? undefined : clusterOption(v.cluster),
    durationMs: integer(v["duration-ms"], "duration-ms", 5_000, 100, 600_000),
    levels,
    failoverTrials: integer(v["failover-trials"], "failover-trials", 5, 1, 100),
    skipFailover: v["skip-failover"] === true,
    skipRestart: v["skip-restart"] === true,
    restartMessages: integer(v["restart-messages"], "restart-messages", 1_000_000, 1, 10_000_000),
    restartFillMs: integer(v["restart-fill-ms"], "restart-fill-ms", 120_000, 100, 3_600_000),
    restartFill: fillMode(v["restart-fill"]),
    sustainedMs: integer(v["sustained-ms"], "sustained-ms", 30_000, 0, 3_600_000),
    cpuProfDir: v["cpu-prof"] === undefined ? undefined : resolve(v["cpu-prof"]),
    log: (line) => console.error(`chat-bench: ${line}`),
  });
  console.log(json ? JSON.stringify(report, null, 2) : renderReport(report));
  return 0;
}

function check(args: string[]): number {
  const { values: v, positionals } = parseArgs({ args, options: checkOptions, strict: true, allowPositionals: true });
  if (v.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("check needs one history file");
  const result = checkHistory(parseJsonl(readFileSync(positionals[0]!, "utf8"), positionals[0]!));
  console.log(v.json ? JSON.stringify(result, null, 2) : JSON.stringify({ ...result, violations: undefined }) + "\n" +
    Object.entries(result.violations).flatMap(([k, list]) => (list as string[]).map((e) => `  ${k}: ${e}`)).join("\n"));
  return result.ok ? 0 : 1;
}

/** A fresh, empty directory for one nemesis run: under `keep` when given, else a temp dir. */
export function nemesisDir(keep: string | undefined, seed: string): string {
  if (keep === undefined) return mkdtempSync(join(tmpdir(), "chat-nemesis-"));
  mkdirSync(resolve(keep), { recursive: true });
  return mkdtempSync(join(resolve(keep), `run-${seed.replace(/[^\w.-]/g, "_")}-`));
}

async function nemesis(args: string[]): Promise<number> {
  const { values: v } = parseArgs({ args, options: nemesisOptions, strict: true, allowPositionals: false });
  if (v.help) {
    console.log(usage);
    return 0;
  }
  const seed = v.seed ?? String(Date.now() % 1_000_000);
  const durationS = integer(v.duration, "duration", 60, 1, 3_600);
  const clients = integer(v.clients, "clients", 10, 2, 100);
  const keepDir = nemesisDir(v.keep, seed);
  const result = await runNemesis({
    durationS,
    clients,
    seed,
    dir: keepDir,
    keepAlways: v.keep !== undefined,
    log: (line) => console.error(`nemesis: ${line}`),
  });
  console.log(v.json ? JSON.stringify(result.summary, null, 2) : result.text);
  return result.ok ? 0 : 1;
}
