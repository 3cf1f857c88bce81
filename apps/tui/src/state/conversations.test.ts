import assert from "node:assert/strict";
import { test } from "node:test";
import type { Message } from "../client-port.js";
import {
  emptyConversation,
  firstUnreadSeq,
  lastIncomingSeq,
  mergeMessages,
} from "./conversations.js";

export const msg = (seq: number, from = "bob", to = "alice", text = `m${seq}`): Message => ({
  seq,
  id: `id${seq}`,
  from,
  to,
  text,
  sentAtMs: seq * 1000,
  clientMsgId: `c${seq}`,
});

test("merge: appends, inserts older, drops duplicates, keeps seq order", () => {
  const a = mergeMessages([], [msg(3), msg(1)]);
  assert.deepEqual(
    a.map((m) => m.seq),
    [1, 3]
  );
  const b = mergeMessages(a, [msg(2), msg(3), msg(5), msg(5)]);
  assert.deepEqual(
    b.map((m) => m.seq),
    [1, 2, 3, 5]
  );
  assert.equal(mergeMessages(b, [msg(2)]), b, "unchanged input returns the same array");
});

test("last incoming and first unread", () => {
  const c = {
    ...emptyConversation("bob"),
    messages: [msg(1), msg(2, "alice", "bob"), msg(3), msg(4, "alice", "bob")],
  };
  assert.equal(lastIncomingSeq(c), 3);
  assert.equal(firstUnreadSeq(c, 1), 3);
  assert.equal(firstUnreadSeq(c, 2), 1);
  assert.equal(firstUnreadSeq(c, 0), undefined);
});
