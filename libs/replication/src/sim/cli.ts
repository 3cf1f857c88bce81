// Simulator CLI: `npm run sim -- --seeds 20000 [--from N] [--exclusion timed|hard]
// [--total-failure]` runs many seeds and prints every failing seed with its replay command;
// `--seed N --trace` replays one seed exactly, printing the full step trace.

import { runSeed } from "./run.js";
import type { ExclusionMode } from "../types.js";

function main(argv: readonly string[]): number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const exclusionArg = arg("exclusion");
  if (exclusionArg !== undefined && exclusionArg !== "timed" && exclusionArg !== "hard") {
    process.stderr.write(
      "usage: sim [--seeds N] [--from N] [--seed N --trace] [--exclusion timed|hard]" +
        " [--total-failure]\n"
    );
    return 2;
  }
  const exclusion = exclusionArg as ExclusionMode | undefined;
  const totalFailure = argv.includes("--total-failure");
  const single = arg("seed");
  if (single !== undefined) {
    const trace = argv.includes("--trace");
    const r = runSeed({
      seed: Number(single),
      trace,
      totalFailure,
      ...(exclusion ? { exclusion } : {}),
    });
    if (trace) process.stdout.write(r.lines.join("\n") + "\n");
    process.stdout.write(
      `seed=${r.seed} ${r.ok ? "ok" : `FAILED: ${r.violation}`} ` +
        (r.stalledByS4 ? "(stalled by design: R18 waits for a storage-faulted reach, S4) " : "") +
        `(${r.exclusion}, ${r.steps} steps, ${r.acked} acked, ${r.reads} reads, ${r.virtualMs}ms virtual)\n`
    );
    return r.ok ? 0 : 1;
  }
  const seeds = Number(arg("seeds") ?? "1000");
  const from = Number(arg("from") ?? "1");
  const started = Date.now();
  let failed = 0;
  let steps = 0;
  const gaps: number[] = [];
  let damagedRuns = 0;
  let stalledRuns = 0;
  for (let seed = from; seed < from + seeds; seed++) {
    const r = runSeed({ seed, totalFailure, ...(exclusion ? { exclusion } : {}) });
    steps += r.steps;
    gaps.push(...r.failoverGapsMs);
    if (r.damaged > 0) damagedRuns++;
    if (r.stalledByS4) stalledRuns++;
    if (!r.ok) {
      failed++;
      const flags =
        (totalFailure ? " --total-failure" : "") + (exclusion ? ` --exclusion ${exclusion}` : "");
      process.stdout.write(
        `seed=${seed} FAILED: ${r.violation}\n` +
          `  replay: npm run sim -- --seed ${seed}${flags} --trace\n`
      );
    }
  }
  const secs = (Date.now() - started) / 1000;
  process.stdout.write(
    `${seeds} seeds, ${failed} failed, ${secs.toFixed(1)}s ` +
      `(${(seeds / secs).toFixed(1)} seeds/s, ${Math.round(steps / secs)} steps/s)\n` +
      `S4: ${damagedRuns} seeds damaged a disk; ${stalledRuns} ended with R18 waiting for a ` +
      `storage-faulted reach (expected, inv. 22)\n`
  );
  if (gaps.length > 0) {
    gaps.sort((a, b) => a - b);
    const q = (p: number): number => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))]!;
    process.stdout.write(
      `primary killed (others healthy) → next ack: n=${gaps.length} median=${q(0.5)}ms ` +
        `p90=${q(0.9)}ms p99=${q(0.99)}ms (virtual time, includes client retry delays)\n`
    );
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
