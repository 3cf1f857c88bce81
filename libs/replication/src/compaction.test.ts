// compactionDue: each replica compacts at its own phase of the snapshot interval.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compactionDue, compactionPhase } from "./compaction.js";

/** The first applied index at which `compactionDue` holds, applying one entry at a time. */
function firstDue(snapshotIndex: number, interval: number, phase: number): number {
  for (let applied = snapshotIndex; applied < snapshotIndex + 3 * interval; applied++) {
    if (compactionDue(snapshotIndex, applied, interval, phase)) return applied;
  }
  throw new Error("never due");
}

const interval = 100_000;
const phases = [0, 1, 2].map((id) => compactionPhase([2, 0, 1], id, interval));

test("a replica's phase comes from its rank among the member ids, whatever they are", () => {
  assert.deepEqual(phases, [0, 33_333, 66_666]);
  assert.deepEqual([9, 2, 5].map((id) => compactionPhase([5, 9, 2], id, 90)), [60, 0, 30]);
  assert.equal(compactionPhase([7], 7, 10), 0);
});

test("three replicas compact a third of an interval apart, and stay apart", () => {
  // From a common start the third replica's point 66,666 is already half an interval in.
  assert.deepEqual(phases.map((p) => firstDue(0, interval, p)), [100_000, 133_333, 66_666]);
  assert.deepEqual(phases.map((p, k) => firstDue([100_000, 133_333, 66_666][k]!, interval, p)),
    [200_000, 233_333, 166_666]);
});

test("a replica keeps its phase after installing another replica's snapshot", () => {
  // 233,333 is less than half an interval past an install at 200,000: the next point it is.
  assert.equal(firstDue(200_000, interval, phases[1]!), 333_333);
  assert.equal(firstDue(150_000, interval, phases[1]!), 233_333);
});

test("due at a phase point half an interval to one and a half intervals past the snapshot", () => {
  fc.assert(fc.property(fc.nat(1_000_000), fc.integer({ min: 1, max: 5_000 }), fc.nat(), (snap, every, p) => {
    const phase = p % every;
    const due = firstDue(snap, every, phase);
    assert.ok(due - snap >= Math.ceil(every / 2));
    assert.ok(due - snap < Math.ceil(every / 2) + every);
    assert.equal((((due - phase) % every) + every) % every, 0);
    // Once due it stays due: one apply may jump past the point.
    assert.ok(compactionDue(snap, due + every, every, phase));
  }), { numRuns: 300 });
});
