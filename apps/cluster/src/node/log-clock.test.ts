// LogClock (R1, CE15): log time continues from the log by monotonic elapsed time. A node whose
// wall clock runs ahead or steps back must stamp the same log time, or it would expire every
// session and dedup key at once, or make dedup tables differ between replicas.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { LogClock } from "./log-clock.js";

test("CE15: log time is the last ts plus monotonic elapsed time, never decreasing", () => {
  let mono = 1_000_000;
  const clock = new LogClock(5_000, () => mono);
  assert.equal(clock.now(), 5_000);
  mono += 250;
  assert.equal(clock.now(), 5_250);
  assert.equal(clock.stamp(5_100), 5_250, "the clock, when the log is behind it");
  assert.equal(clock.stamp(9_000), 9_000, "never below an entry already in the log");
  mono += 10;
  assert.equal(clock.now(), 9_010, "and it goes on from there");
});

test("CE15: a wall clock a year ahead or behind changes nothing", () => {
  const yearMs = 365 * 24 * 3600 * 1000;
  const real = Date.now();
  for (const wall of [real + yearMs, real - yearMs]) {
    const now = mock.method(Date, "now", () => wall);
    try {
      const clock = new LogClock(5_000); // the real monotonic clock
      const ts = clock.stamp(5_000);
      assert.ok(ts >= 5_000 && ts < 5_000 + 1_000, `stamped ${ts}, not the wall clock`);
    } finally {
      now.mock.restore();
    }
  }
});
