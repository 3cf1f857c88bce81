// Catch-up of a restarted backup, in the simulated world (calm 1 ms network, 5–10 ms fsyncs):
// the primary sends each missing entry about once, ack-clocked, with at most
// ENTRIES_IN_FLIGHT_MAX unacknowledged, under load and in an idle cluster. Before, every
// heartbeat and every proposal batch resent from the last ack, so a peer behind by thousands
// received each entry many times over.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ENTRIES_IN_FLIGHT_MAX } from "../limits.js";
import type { NodeId } from "../types.js";
import { NET_CALM, World } from "./world.js";

const lag = 12_000;

interface CatchUp {
  entriesSent: number;
  missing: number;
  unackedMax: number;
  caughtUpMs: number | null;
}

/** Crashes a backup, commits `lag` entries, restarts it while `trickle` proposals come every
 *  5 ms, and taps what the primary sends it until it is a backup again. */
function catchUp(trickle: number): CatchUp {
  const w = new World({
    seed: 7, nodeCount: 3, exclusion: "timed", net: NET_CALM, fsyncMsMin: 5, fsyncMsMax: 10,
    snapshotInterval: 1_000_000, localProbeFailureP: 0, trace: false,
  });
  for (const n of w.nodes) w.start(n.id);
  w.runUntil(300);
  const primary = w.nodes.find((n) => n.replica?.status().role === "primary")!.id;
  const behind = ((primary + 1) % 3) as NodeId;
  w.crash(behind, false);
  let proposed = 0;
  const propose = (count: number): void => {
    for (let i = 0; i < count; i++) w.propose(primary, `r${proposed++}`, { n: proposed }, 0);
  };
  while (proposed < lag) {
    propose(256);
    w.runUntil(w.nowMs + 5);
  }
  w.runUntil(w.nowMs + 500);

  let entriesSent = 0;
  let sentThrough = 0;
  let ackedThrough = 0;
  let unackedMax = 0;
  w.onSend = (from, to, msg) => {
    if (from === primary && to === behind && msg.kind === "append" && msg.entries.length > 0) {
      entriesSent += msg.entries.length;
      sentThrough = Math.max(sentThrough, msg.entries.at(-1)!.index);
      unackedMax = Math.max(unackedMax, sentThrough - ackedThrough);
    }
    if (from === behind && to === primary && msg.kind === "append-reply" && msg.success) {
      ackedThrough = Math.max(ackedThrough, msg.matchIndex);
    }
  };

  const startMs = w.nowMs;
  w.start(behind);
  const lastBefore = w.nodes[behind]!.replica!.status().lastIndex;
  let caughtUpMs: number | null = null;
  for (let i = 0; i < 1000 && caughtUpMs === null; i++) {
    propose(trickle);
    w.runUntil(w.nowMs + 5);
    if (w.nodes[behind]!.replica?.status().role === "backup") caughtUpMs = w.nowMs - startMs;
  }
  const missing = w.nodes[primary]!.replica!.status().lastIndex - lastBefore;
  return { entriesSent, missing, unackedMax, caughtUpMs };
}

test("catch-up under load: each entry sent about once, at most a window unacknowledged", () => {
  const r = catchUp(20); // 4,000 proposals a second meanwhile
  assert.notEqual(r.caughtUpMs, null, "back as a backup within 5 s of virtual time");
  assert.ok(r.entriesSent <= r.missing * 1.1, `${r.entriesSent} entries sent for ${r.missing} missing`);
  assert.ok(r.unackedMax <= ENTRIES_IN_FLIGHT_MAX, `${r.unackedMax} unacknowledged at most`);
  // Before: 325 ms here, a quarter of the entries sent twice.
  assert.ok(r.caughtUpMs! < 200, `caught up in ${r.caughtUpMs} ms of virtual time`);
});

test("catch-up of an idle cluster: acks refill the whole window, not one batch each", () => {
  const r = catchUp(0);
  assert.notEqual(r.caughtUpMs, null, "back as a backup within 5 s of virtual time");
  assert.ok(r.entriesSent <= r.missing * 1.1, `${r.entriesSent} entries sent for ${r.missing} missing`);
  assert.ok(r.unackedMax <= ENTRIES_IN_FLIGHT_MAX, `${r.unackedMax} unacknowledged at most`);
  assert.ok(r.caughtUpMs! < 200, `caught up in ${r.caughtUpMs} ms of virtual time`);
});
