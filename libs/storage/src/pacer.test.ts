import assert from "node:assert/strict";
import { test } from "node:test";
import { Pacer, type PacerClock } from "./pacer.js";

/** A clock the test moves by hand; `sleep` records the rest and ends at once. */
function fakeClock(): PacerClock & { t: number; rests: number[]; cancels: (() => void)[] } {
  const c = {
    t: 0,
    rests: [] as number[],
    cancels: [] as (() => void)[],
    now: () => c.t,
    sleep: (ms: number, onCancel: (cancel: () => void) => void) => {
      c.rests.push(ms);
      return new Promise<void>((resolve) => {
        onCancel(resolve);
        c.cancels.push(resolve);
      });
    },
  };
  return c;
}

test("a pacer rests in proportion to the work done, once a slice is used up", async () => {
  const clock = fakeClock();
  const pacer = new Pacer(10, 0.25, clock);
  clock.t += 4;
  await pacer.step(); // 4 ms of a 10 ms slice: a turn of the loop only
  assert.deepEqual(clock.rests, []);
  clock.t += 8;
  const resting = pacer.step(); // 12 ms worked at duty 1/4: rests 3 × 12 ms
  assert.deepEqual(clock.rests, [36]);
  clock.t += 500; // the time spent resting (or running other work) is not the pacer's work
  clock.cancels.shift()!();
  await resting;
  await pacer.step();
  assert.deepEqual(clock.rests, [36], "no work since the rest: no new rest");
});

test("a rest is bounded however long one step ran", async () => {
  const clock = fakeClock();
  const pacer = new Pacer(10, 0.25, clock);
  clock.t += 5_000; // e.g. the process was stopped in the middle of a step
  const resting = pacer.step();
  assert.deepEqual(clock.rests, [120], "at most 4 slices counted: 3 × 40 ms");
  clock.cancels.shift()!();
  await resting;
});

test("unpace ends a rest under way and the pacing", async () => {
  const clock = fakeClock();
  const pacer = new Pacer(10, 0.5, clock);
  clock.t += 20;
  const resting = pacer.step();
  pacer.unpace();
  await resting; // resolved by unpace, not by the clock
  clock.t += 100;
  await pacer.step();
  assert.deepEqual(clock.rests, [20], "no rest once unpaced");
});

test("a pacer at duty 1 only yields", async () => {
  const clock = fakeClock();
  const pacer = new Pacer(10, 1, clock);
  clock.t += 100;
  await pacer.step();
  assert.deepEqual(clock.rests, []);
});

test("a pacer refuses a slice or duty out of range", () => {
  assert.throws(() => new Pacer(0, 0.5), /pacer/);
  assert.throws(() => new Pacer(10, 0), /pacer/);
  assert.throws(() => new Pacer(10, 1.5), /pacer/);
});
