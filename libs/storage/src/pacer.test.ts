import assert from "node:assert/strict";
import { test } from "node:test";
import { Pacer } from "./pacer.js";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* work */ }
}

test("a pacer yields between steps and rests in proportion once a slice is used up", async () => {
  const pacer = new Pacer(20, 0.5);
  let t = performance.now();
  busy(2);
  await pacer.step(); // 2 ms of a 20 ms slice: a turn of the loop only
  assert.ok(performance.now() - t < 15, "no rest inside a slice");
  busy(20);
  t = performance.now();
  await pacer.step(); // ≥ 20 ms worked at duty 1/2: rests as long again
  assert.ok(performance.now() - t >= 19, `rested ${performance.now() - t} ms`);
  t = performance.now();
  busy(2);
  await pacer.step(); // a new slice starts after the rest
  assert.ok(performance.now() - t < 15, "the slice restarts after a rest");
});

test("a pacer refuses a slice or duty out of range", () => {
  assert.throws(() => new Pacer(0, 0.5), /pacer/);
  assert.throws(() => new Pacer(10, 0), /pacer/);
  assert.throws(() => new Pacer(10, 1.5), /pacer/);
});
