import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffMs, sleep } from "./backoff.js";

test("the first retry waits 20-100 ms; later ones grow and never pass 1 s", () => {
  assert.equal(backoffMs(0, () => 0), 20);
  assert.equal(backoffMs(0, () => 1), 100);
  let previousMax = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    const low = backoffMs(attempt, () => 0);
    const high = backoffMs(attempt, () => 1);
    assert.ok(low >= 20 && low <= high, `attempt ${attempt}: ${low}..${high}`);
    assert.ok(high <= 1000, `attempt ${attempt}: ${high}`);
    assert.ok(high >= previousMax);
    previousMax = high;
  }
  assert.equal(backoffMs(10, () => 1), 1000);
  assert.ok(backoffMs(10, () => 0) >= 500, "late retries keep a floor: no hot loop");
});

test("jitter spreads the waits", () => {
  const waits = new Set(Array.from({ length: 50 }, () => backoffMs(1)));
  assert.ok(waits.size > 10);
});

test("sleep ends early when its signal aborts", async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 20);
  await sleep(5_000, controller.signal);
  assert.ok(Date.now() - started < 1_000);
});
