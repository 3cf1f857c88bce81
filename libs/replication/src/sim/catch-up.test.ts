// Catch-up of a restarted backup under load, in the simulated world (calm 1 ms network, 5–10 ms
// fsyncs): the primary sends each missing entry about once, ack-clocked, with at most
// ENTRIES_IN_FLIGHT_MAX unacknowledged. Before, every heartbeat and every proposal batch resent
// from the last ack, so a peer behind by thousands received each entry many times over.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ENTRIES_IN_FLIGHT_MAX } from "../limits.js";
import type { Message, NodeId } from "../types.js";
import { NET_CALM, World } from "./world.js";

const lag = 12_000;

test("catch-up: a restarted backup gets each entry about once, at most a window unacknowledged", () => {
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

  // Tap what the primary sends the restarted node, and what it acknowledges.
  let entriesSent = 0;
  let sentThrough = 0;
  let ackedThrough = 0;
  let unackedMax = 0;
  const world = w as unknown as { send(from: NodeId, to: NodeId, msg: Message): void };
  const send = world.send.bind(w);
  world.send = (from, to, msg) => {
    if (from === primary && to === behind && msg.kind === "append" && msg.entries.length > 0) {
      entriesSent += msg.entries.length;
      sentThrough = Math.max(sentThrough, msg.entries.at(-1)!.index);
      unackedMax = Math.max(unackedMax, sentThrough - ackedThrough);
    }
    if (from === behind && to === primary && msg.kind === "append-reply" && msg.success) {
      ackedThrough = Math.max(ackedThrough, msg.matchIndex);
    }
    send(from, to, msg);
  };

  const startMs = w.nowMs;
  w.start(behind);
  const lastBefore = w.nodes[behind]!.replica!.status().lastIndex;
  // Proposals keep coming while it catches up (a trickle of 20 per 5 ms: 4,000/s).
  let caughtUpMs: number | null = null;
  for (let i = 0; i < 1000 && caughtUpMs === null; i++) {
    propose(20);
    w.runUntil(w.nowMs + 5);
    const s = w.nodes[behind]!.replica?.status();
    if (s?.role === "backup") caughtUpMs = w.nowMs - startMs;
  }
  assert.notEqual(caughtUpMs, null, "back as a backup within 5 s of virtual time");
  const missing = w.nodes[primary]!.replica!.status().lastIndex - lastBefore;
  assert.ok(entriesSent <= missing * 1.1,
    `${entriesSent} entries sent for ${missing} missing: each about once`);
  assert.ok(unackedMax <= ENTRIES_IN_FLIGHT_MAX, `${unackedMax} unacknowledged at most`);
  // Before: 325 ms here, a quarter of the entries sent twice.
  assert.ok(caughtUpMs! < 200, `caught up in ${caughtUpMs} ms of virtual time`);
});
