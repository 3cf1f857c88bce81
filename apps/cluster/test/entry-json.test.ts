// Entries are serialised once: the text a primary sends is the text a backup stores, an
// append's entry lines survive any text inside them, and other messages stay plain JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Message } from "@chat-tui/replication";
import { decodeMessage, encodeMessage, entryJson } from "../src/node/entry-json.js";

const header = { from: 1, storageId: "d1", incarnation: "i1", session: "s1", epoch: 2,
  viewId: { epoch: 2, index: 1 }, status: "primary" as const };

test("an append's entries arrive with the exact text they were sent in", () => {
  const entries = [
    { index: 5, epoch: 2, ts: 7, kind: "cmd", payload: { text: "two\nlines \u2028 {\"index\":1}" } },
    { kind: "barrier", index: 6, epoch: 2, ts: 7 }, // position not first: reordered once
  ];
  const msg = { ...header, kind: "append", prevIndex: 4, prevEpoch: 2, entries, commit: 3, round: 1 };
  const decoded = decodeMessage(Buffer.from(encodeMessage(msg as unknown as Message)));
  assert.deepEqual(decoded, msg);
  const received = (decoded as unknown as { entries: typeof entries }).entries;
  for (let k = 0; k < entries.length; k++) {
    const sent = entryJson(entries[k]!);
    assert.ok(sent.startsWith(`{"index":${entries[k]!.index},"epoch":2,`));
    assert.equal(entryJson(received[k]!), sent);
  }
});

test("messages without entries are plain JSON", () => {
  for (const msg of [{ ...header, kind: "ping", nonce: "n", pauseEpoch: 0 },
    { ...header, kind: "append", prevIndex: 4, prevEpoch: 2, entries: [], commit: 3, round: 1 }]) {
    const text = encodeMessage(msg as unknown as Message);
    assert.deepEqual(JSON.parse(text), msg);
    assert.deepEqual(decodeMessage(Buffer.from(text)), msg);
  }
});

test("entry lines on anything but an append are refused", () => {
  const text = `${JSON.stringify({ ...header, kind: "ping", entries: [] })}\n{"index":1,"epoch":1}`;
  assert.throws(() => decodeMessage(Buffer.from(text)), /only an append/);
});
