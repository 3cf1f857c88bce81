// The checker against small hand-made histories: a clean one passes; a lost write, a
// duplicate, a reorder, a phantom, a subscription gap and diverged replicas are each flagged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHistory } from "./checker.js";
import type { HistoryRecord, SeenMessage } from "./history.js";

const msg = (seq: number, from: string, to: string, n: number): SeenMessage =>
  ({ seq, from, to, text: `${from}#${n}`, clientMsgId: `${from}-${n}` });

/** a sends two messages to b (seq 1, 2); both read and subscribe; replicas agree. */
function clean(): HistoryRecord[] {
  const m1 = msg(1, "a", "b", 1);
  const m2 = msg(2, "a", "b", 2);
  return [
    { kind: "invoke", t: 0, client: "a", key: "a-1", to: "b", text: "a#1" },
    { kind: "ok", t: 5, client: "a", key: "a-1", seq: 1 },
    { kind: "event", t: 6, client: "a", message: m1 },
    { kind: "event", t: 6, client: "b", message: m1 },
    { kind: "invoke", t: 10, client: "a", key: "a-2", to: "b", text: "a#2" },
    { kind: "ok", t: 15, client: "a", key: "a-2", seq: 2 },
    { kind: "event", t: 16, client: "a", message: m2 },
    { kind: "event", t: 16, client: "b", message: m2 },
    { kind: "heal", t: 20 },
    { kind: "final-read", t: 30, client: "a", messages: [m1, m2] },
    { kind: "final-read", t: 30, client: "b", messages: [m1, m2] },
    { kind: "replica", t: 31, id: 0, role: "primary", lastIndex: 9, commitIndex: 9 },
    { kind: "replica", t: 31, id: 1, role: "backup", lastIndex: 9, commitIndex: 9 },
  ];
}

const finalReads = (records: HistoryRecord[], messages: SeenMessage[]): HistoryRecord[] =>
  records.map((r) => (r.kind === "final-read" ? { ...r, messages } : r));

test("a clean history passes", () => {
  const result = checkHistory(clean());
  assert.equal(result.ok, true, JSON.stringify(result.violations));
  assert.equal(result.acked, 2);
  assert.equal(result.finalMessages, 2);
  assert.equal(result.delivered, 4);
});

test("a lost write: an acked send missing from the final state", () => {
  const records = finalReads(clean(), [msg(1, "a", "b", 1)])
    .filter((r) => !(r.kind === "event" && r.message.seq === 2));
  const result = checkHistory(records);
  assert.equal(result.ok, false);
  assert.equal(result.counts.lost, 1, JSON.stringify(result.violations));
});

test("a duplicate: one client_msg_id applied at two seqs, and a subscriber fed twice", () => {
  const dup = { ...msg(3, "a", "b", 2) };
  const records = finalReads(clean(), [msg(1, "a", "b", 1), msg(2, "a", "b", 2), dup]);
  const result = checkHistory(records);
  assert.ok(result.counts.duplicated >= 1, JSON.stringify(result.violations));

  const twice = clean();
  twice.splice(4, 0, { kind: "event", t: 7, client: "b", message: msg(1, "a", "b", 1) });
  const again = checkHistory(twice);
  assert.equal(again.counts.duplicated, 1, JSON.stringify(again.violations));
});

test("a reorder: a subscriber goes back, reads disagree, an ack's seq is not the final one", () => {
  const records = clean();
  const [e1, e2] = [3, 7].map((i) => records[i]!);
  records[3] = e2!;
  records[7] = e1!; // b sees seq 2 then seq 1
  assert.ok(checkHistory(records).counts.order >= 1);

  const disagree = clean().map((r) => (r.kind === "final-read" && r.client === "b"
    ? { ...r, messages: [msg(1, "a", "b", 2), msg(2, "a", "b", 1)] } : r));
  assert.ok(checkHistory(disagree).counts.order >= 1);

  const realTime = clean().map((r) => (r.kind === "ok" && r.key === "a-2" ? { ...r, seq: 1 } : r))
    .map((r) => (r.kind === "ok" && r.key === "a-1" ? { ...r, seq: 2 } : r));
  const swapped = finalReads(realTime, [
    { ...msg(1, "a", "b", 2) }, { ...msg(2, "a", "b", 1) },
  ]).filter((r) => r.kind !== "event");
  const result = checkHistory(swapped);
  assert.ok(result.counts.order >= 1, JSON.stringify(result.violations));
});

test("a phantom: a message nobody sent, and one whose send failed", () => {
  const ghost = msg(3, "a", "b", 9);
  const records = finalReads(clean(), [msg(1, "a", "b", 1), msg(2, "a", "b", 2), ghost]);
  records.push({ kind: "event", t: 40, client: "b", message: ghost },
    { kind: "event", t: 40, client: "a", message: ghost });
  const result = checkHistory(records);
  assert.equal(result.counts.phantom, 1, JSON.stringify(result.violations));

  const failed = clean().map((r) => (r.kind === "ok" && r.key === "a-2"
    ? { kind: "fail" as const, t: r.t, client: "a", key: "a-2", error: "invalid-argument" } : r));
  assert.equal(checkHistory(failed).counts.phantom, 1);
});

test("a subscription gap, a lost session, and replicas that diverged", () => {
  const records = clean().filter((r) => !(r.kind === "event" && r.client === "b" && r.message.seq === 1));
  assert.equal(checkHistory(records).counts.gaps, 1);

  const sessionLost = [...clean(), { kind: "session-lost" as const, t: 3, client: "b", error: "unauthenticated" }];
  assert.equal(checkHistory(sessionLost).counts.sessions, 1);

  const diverged = clean().map((r) => (r.kind === "replica" && r.id === 1 ? { ...r, lastIndex: 8 } : r));
  assert.equal(checkHistory(diverged).counts.divergence, 1);

  const withDigest = (digest1: string) => clean().map((r) => (r.kind === "replica"
    ? { ...r, appliedIndex: 9, digest: r.id === 1 ? digest1 : "d0" } : r));
  assert.equal(checkHistory(withDigest("d0")).ok, true);
  assert.equal(checkHistory(withDigest("d1")).counts.divergence, 1, "same index, different state");
});

test("an unknown send is fine applied once or not at all; availability gap is measured", () => {
  const records = clean().map((r) => (r.kind === "ok" && r.key === "a-2"
    ? { kind: "info" as const, t: 15, client: "a", key: "a-2", error: "unavailable" } : r));
  const result = checkHistory(records);
  assert.equal(result.ok, true, JSON.stringify(result.violations));
  assert.equal(result.unknown, 1);
  assert.equal(result.unknownApplied, 1);
  assert.equal(result.availabilityGapMs, 15); // from the ack at 5 to the heal at 20
});
