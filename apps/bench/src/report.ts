// Renders a BenchReport as the text table `chat-bench` prints (the JSON form is the report).
import type { BenchReport } from "./bench.js";
import type { CpuPerSend } from "./cpu.js";
import type { LevelResult } from "./load.js";
import { spread, table, type Spread } from "./stats.js";

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : `${v.toFixed(2)} ms`);
const int = (v: number): string => Math.round(v).toLocaleString("en-US");
const verdict = (pass: boolean | undefined): string => (pass === undefined ? "n/a" : pass ? "PASS" : "miss");

/** "412 = primary 210 + backups 70, 68 + client 64" */
function cpuText(cpu: CpuPerSend | undefined): string {
  if (!cpu) return "-";
  const entries = Object.entries(cpu.nodesUs).sort(([a], [b]) => (a === "primary" ? -1 : b === "primary" ? 1 : 0));
  const primary = entries.filter(([k]) => k === "primary").map(([, v]) => int(v));
  const backups = entries.filter(([k]) => k !== "primary").map(([, v]) => int(v));
  return `${int(cpu.totalUs)} = primary ${primary.join("") || "?"} + backups ${backups.join(", ")} + client ${int(cpu.clientUs)}`;
}

function echoAtRow(f: NonNullable<BenchReport["floors"]["grpcEchoAtHalfLoad"]>): string[] {
  return [`gRPC echo, loopback, open loop at the half-load rate`, `${int(f.reqPerSec)} req/s`,
    `p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}`];
}

function replicationRow(f: NonNullable<BenchReport["floors"]["replicationAtHalfLoad"]>): string[] {
  return ["replication floor: bare grpc-js primary + 2 backups, fdatasync each, open loop at the half-load rate",
    `${int(f.reqPerSec)} req/s`, `p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}, p99.9 ${ms(f.p999Ms)}, CPU µs/send ${cpuText(f.cpu)}`];
}

function spreadRow(name: string, r: Spread): string[] {
  return [name, ms(r.min), ms(r.median), ms(r.max), String(r.n)];
}

/** Older JSON reports lack some of these. */
function optionalSpreadRow(name: string, values: number[] | undefined): string[][] {
  return values && values.length > 0 ? [spreadRow(name, spread(values))] : [];
}

/** Older JSON reports have no stall floor. */
function stallRow(f: BenchReport["floors"]["stalls"] | undefined): string[][] {
  if (!f) return [];
  return [[`scheduling stalls (${f.processes} busy loops)`, `${f.stalls5msPerSec.toFixed(1)} ≥ 5 ms/s`,
    `max ${ms(f.maxMs)}, ${(f.stalledShare * 100).toFixed(2)}% of the time in gaps ≥ 1 ms`]];
}

export function renderReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(`machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, ${r.machine.platform}, ` +
    `load average at the end ${r.machine.loadAverage.join(" ")}`);
  out.push("");
  out.push(table([
    ["floor", "figure", "detail"],
    ["fsync (100-byte append + fdatasync)", `${int(r.floors.fsync.fsyncsPerSecMax)} fsyncs/s`,
      `median ${ms(r.floors.fsync.medianMs)}, p99 ${ms(r.floors.fsync.p99Ms)}, ${r.floors.fsync.appends} appends`],
    ["gRPC echo, loopback, 64 in flight", `${int(r.floors.grpcEcho.reqPerSec)} req/s`,
      `p50 ${ms(r.floors.grpcEcho.p50Ms)}, p99 ${ms(r.floors.grpcEcho.p99Ms)}`],
    ...stallRow(r.floors.stalls),
    ...(r.floors.grpcEchoAtHalfLoad ? [echoAtRow(r.floors.grpcEchoAtHalfLoad)] : []),
    ...(r.floors.replicationAtHalfLoad ? [replicationRow(r.floors.replicationAtHalfLoad)] : []),
  ]));
  out.push("");
  const echo = r.floors.grpcEcho.reqPerSec;
  const fsync = r.floors.fsync.fsyncsPerSecMax;
  const rows = [["in flight", "path", "sends/s", "p50", "p99", "p99.9", "acked", "failed", "÷ echo", "÷ fsync",
    "CPU µs/send"]];
  const row = (label: string, l: LevelResult): string[] => [label, l.path, int(l.sendsPerSec), ms(l.p50Ms), ms(l.p99Ms),
    ms(l.p999Ms), String(l.acked), String(l.failed), (l.sendsPerSec / echo).toFixed(2), (l.sendsPerSec / fsync).toFixed(2),
    cpuText(l.cpu)];
  for (const l of r.levels) rows.push(row(String(l.inFlight), l));
  if (r.halfLoad) rows.push(row(`open ${int(r.halfLoad.ratePerSec)}/s, ≤ ${r.halfLoad.inFlight}`, r.halfLoad));
  const sustained = r.sustained;
  if (sustained) rows.push(row(`open ${int(sustained.ratePerSec)}/s, ${(sustained.durationMs / 1000).toFixed(0)} s`, sustained));
  out.push("acknowledged sends (100-byte texts, 3 replicas fsyncing; stream = the SDK's pipelined SendMessages, " +
    "unary = one SendMessage call each)");
  out.push(table(rows));
  if (sustained) {
    const taken = (sustained.snapshots ?? []).map((t) => `n${t.node} at ${int(t.index)} (${int(t.ms)} ms)`);
    out.push(`the ${(sustained.durationMs / 1000).toFixed(0)} s open loop: longest wait ${ms(sustained.maxMs)}` +
      (sustained.snapshots ? `; snapshots written meanwhile: ${taken.join(", ") || "none"}` : ""));
  }
  if (r.failover) {
    const f = r.failover;
    out.push("");
    out.push(table([
      ["failover at 16 in flight", "min", "median", "max", "trials"],
      spreadRow("kill -9 primary → next ack", f.kill),
      ["SIGSTOP primary → next ack", ms(f.sigstopGapMs), "", "", "1"],
      ...optionalSpreadRow("killed node restarted → back in the view", f.rejoinMs),
      ...optionalSpreadRow("killed node restarted → its state loaded", f.loadedMs),
    ]));
  }
  if (r.restart) {
    const s = r.restart;
    out.push("");
    out.push(table([
      [`restart (N = ${int(s.messages)} messages, ${int(s.logEntries)} log entries)`, "time"],
      ["one node (kill -9) → answers again", ms(s.nodeServeMs)],
      ["one node (kill -9) → back in the view", ms(s.nodeRejoinMs)],
      ["whole cluster (kill -9 ×3) → first ack", ms(s.coldStartMs)],
    ]));
  }
  out.push("");
  out.push("targets (issue 6; informational)");
  out.push(table([["target", "measured", "wanted", ""],
    ...r.targets.map((t) => [t.name, t.measured, t.target, verdict(t.pass)])]));
  for (const note of r.notes) out.push(`note: ${note}`);
  return out.join("\n");
}
