// The verdicts against hand-made reports: the throughput ratio, the half-load p99 with its
// floors beside it, and the note that says when the p99 target is below every floor.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { BenchReport } from "./bench.js";
import type { LevelResult } from "./load.js";
import { belowFloorsNote, targets } from "./targets.js";

const level = (inFlight: number, sendsPerSec: number, p99Ms: number): LevelResult => ({
  inFlight, path: "stream", durationMs: 1000, acked: sendsPerSec, failed: 0, sendsPerSec,
  p50Ms: p99Ms / 4, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3,
});

/** A run at 8,000 sends/s at 64 in flight whose half-load p99 is `p99Ms`, with floors at that rate. */
function report(p99Ms: number, floorsP99Ms: { replication?: number; echo?: number }): BenchReport {
  const echo = { inFlight: 64, requests: 5000, reqPerSec: 5000, p50Ms: 9, p99Ms: 40 };
  const atRate = (p99: number) =>
    ({ ratePerSec: 4000, requests: 4000, reqPerSec: 4000, p50Ms: 2, p99Ms: p99, p999Ms: p99 * 2 });
  return {
    machine: { cores: 2, cpu: "test", node: "v20", platform: "linux", loadAverage: [0, 0, 0] },
    floors: {
      fsync: { appends: 100, medianMs: 0.2, p99Ms: 0.6, fsyncsPerSecMax: 5000 },
      grpcEcho: echo,
      stalls: {} as BenchReport["floors"]["stalls"],
      ...(floorsP99Ms.echo !== undefined ? { grpcEchoAtHalfLoad: { ...echo, ...atRate(floorsP99Ms.echo) } } : {}),
      ...(floorsP99Ms.replication !== undefined ? { replicationAtHalfLoad: atRate(floorsP99Ms.replication) } : {}),
    },
    levels: [level(1, 300, 10), level(64, 8000, 25)],
    halfLoad: { ...level(1, 4000, p99Ms), ratePerSec: 4000 },
    failover: undefined,
    restart: undefined,
    targets: [],
    notes: [],
  };
}

test("the throughput target is the top streamed level over the echo floor", () => {
  const [throughput] = targets(report(50, {}));
  assert.equal(throughput?.name, "sends/s at 64 in flight ÷ gRPC echo floor");
  assert.equal(throughput?.measured, "1.60");
  assert.equal(throughput?.pass, true);
});

test("the half-load p99 shows both floors at that rate beside it", () => {
  const row = targets(report(52.7, { replication: 13.6, echo: 37.5 })).find((t) => t.name === "p99 at half load");
  assert.equal(row?.measured, "52.7 ms (floors at that rate: replication 13.6 ms, gRPC echo 37.5 ms)");
  assert.equal(row?.target, "≤ 10 ms");
  assert.equal(row?.pass, false);
  const met = targets(report(9.5, {})).find((t) => t.name === "p99 at half load");
  assert.equal(met?.measured, "9.5 ms");
  assert.equal(met?.pass, true);
});

test("a note says when the p99 target is below every floor at that rate, and only then", () => {
  assert.deepEqual(belowFloorsNote(report(52.7, { replication: 13.6, echo: 37.5 })), [
    "p99 at half load: the target (≤ 10 ms) is below every floor measured at that rate in this run "
      + "(replication 13.6 ms, gRPC echo 37.5 ms): this machine cannot show it",
  ]);
  assert.deepEqual(belowFloorsNote(report(52.7, { replication: 9.5, echo: 37.5 })), [], "one floor meets it");
  assert.deepEqual(belowFloorsNote(report(52.7, {})), [], "no floor measured");
  assert.deepEqual(belowFloorsNote(report(9.5, { replication: 13.6, echo: 37.5 })), [], "the target met");
});
