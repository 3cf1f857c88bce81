// The report's verdicts: each issue-6 target against what this run measured, as ratios to the
// machine's floors where the target is one. Pure: a report in, rows out.
import type { BenchReport } from "./bench.js";
import type { LevelResult } from "./load.js";

/** Issue 6: p99 at half the top load. */
const p99TargetMs = 10;

export interface Target {
  name: string;
  measured: string;
  target: string;
  pass: boolean | undefined;
}

/** The p99 at the half-load rate of what a send cannot do without: its floors in this run. */
function halfLoadFloors(r: BenchReport): { name: string; p99Ms: number }[] {
  const { replicationAtHalfLoad: replication, grpcEchoAtHalfLoad: echo } = r.floors;
  return [
    ...(replication ? [{ name: "replication", p99Ms: replication.p99Ms }] : []),
    ...(echo ? [{ name: "gRPC echo", p99Ms: echo.p99Ms }] : []),
  ];
}

function listed(floors: { name: string; p99Ms: number }[]): string {
  return floors.map((f) => `${f.name} ${f.p99Ms.toFixed(1)} ms`).join(", ");
}

/**
 * A latency target can only be judged where the machine can meet it: when every floor
 * measured at the half-load rate is above the p99 target, the report says so beside the miss.
 */
export function belowFloorsNote(r: BenchReport): string[] {
  const floors = halfLoadFloors(r);
  if (!r.halfLoad || r.halfLoad.p99Ms <= p99TargetMs) return [];
  if (floors.length === 0 || floors.some((f) => f.p99Ms <= p99TargetMs)) return [];
  return [`p99 at half load: the target (≤ ${p99TargetMs} ms) is below every floor measured at that rate `
    + `in this run (${listed(floors)}): this machine cannot show it`];
}

/** The streamed level the targets are about: 64 in flight, else the highest measured. */
export function topLevel(levels: LevelResult[]): LevelResult | undefined {
  const streamed = levels.filter((l) => l.path === "stream");
  return streamed.find((l) => l.inFlight === 64) ?? streamed.at(-1);
}

export function targets(r: BenchReport): Target[] {
  const out: Target[] = [];
  const top = topLevel(r.levels);
  if (top) {
    const ratio = top.sendsPerSec / r.floors.grpcEcho.reqPerSec;
    out.push({ name: `sends/s at ${top.inFlight} in flight ÷ gRPC echo floor`, measured: ratio.toFixed(2),
      target: "≥ 0.60", pass: ratio >= 0.6 });
  }
  if (r.halfLoad) {
    const floors = halfLoadFloors(r);
    const beside = floors.length > 0 ? ` (floors at that rate: ${listed(floors)})` : "";
    out.push({ name: "p99 at half load", measured: `${r.halfLoad.p99Ms.toFixed(1)} ms${beside}`,
      target: `≤ ${p99TargetMs} ms`, pass: r.halfLoad.p99Ms <= p99TargetMs });
  }
  if (r.sustained) {
    const { p99Ms, durationMs, snapshots } = r.sustained;
    const taken = snapshots ? `, ${snapshots.length} snapshot(s) taken meanwhile` : "";
    out.push({ name: `p99 at half load over ${(durationMs / 1000).toFixed(0)} s`,
      measured: `${p99Ms.toFixed(1)} ms${taken}`, target: `≤ ${p99TargetMs} ms`, pass: p99Ms <= p99TargetMs });
  }
  if (r.failover) {
    const { kill } = r.failover;
    out.push({ name: "failover gap after kill -9, median", measured: `${kill.median.toFixed(0)} ms`,
      target: "≤ 150 ms", pass: kill.median <= 150 });
    out.push({ name: `failover gap after kill -9, max of ${kill.n} (p99 proxy)`, measured: `${kill.max.toFixed(0)} ms`,
      target: "≤ 500 ms", pass: kill.max <= 500 });
    const s = r.failover.sigstopGapMs;
    out.push({ name: "failover gap after SIGSTOP", measured: s === undefined ? "none" : `${s.toFixed(0)} ms`,
      target: "≤ 1500 ms", pass: s !== undefined && s <= 1500 });
  }
  if (r.restart) {
    const full = r.restart.messages >= 1_000_000;
    out.push({ name: `restart of one node with ${r.restart.messages} messages`,
      measured: `${r.restart.nodeServeMs.toFixed(0)} ms`, target: "< 3000 ms (at 1M)",
      pass: full || r.restart.nodeServeMs >= 3000 ? r.restart.nodeServeMs < 3000 : undefined });
    out.push({ name: `cold start of the cluster with ${r.restart.messages} messages`,
      measured: `${r.restart.coldStartMs.toFixed(0)} ms`, target: "< 5000 ms (at 1M, REPLICATION.md §7.3)",
      pass: full || r.restart.coldStartMs >= 5000 ? r.restart.coldStartMs < 5000 : undefined });
  }
  return out;
}
