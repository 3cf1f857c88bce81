// The open loop's bookkeeping, against a pair that answers at once: sends start when due and
// each latency counts from its due time (no coordinated omission, no interval added).
import { test } from "node:test";
import assert from "node:assert/strict";
import { openLoop, type Pair } from "./load.js";

function instantPair(): Pair & { sent: number } {
  const pair = { to: "x", path: "stream" as const, from: [], sent: 0, close: () => {},
    send: async () => void pair.sent++ };
  return pair;
}

test("the open loop sends at the rate from the start, and an instant answer has ~0 latency", async () => {
  const pair = instantPair();
  const r = await openLoop(pair, 20, 500); // a send due every 50 ms: at 0, 50, …, 450 ms
  assert.ok(pair.sent >= 10 && pair.sent <= 11, `${pair.sent} sends`);
  assert.equal(r.acked, pair.sent);
  // Counting from the previous send's due time would add the 50 ms interval to each.
  assert.ok(r.p50Ms < 25, `p50 ${r.p50Ms} ms`);
});

test("a stalled answer counts from when the send was due", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const pair = { ...instantPair(), send: () => gate };
  setTimeout(release, 200);
  const r = await openLoop(pair, 50, 300); // due every 20 ms; all wait until 200 ms
  assert.ok(r.acked >= 14, `${r.acked} acked`);
  // The first send was due at 0 and answered at ≥ 200 ms (p99.9 of ~15 latencies is the largest).
  assert.ok(r.p999Ms >= 190, `largest latency ${r.p999Ms} ms`);
});
