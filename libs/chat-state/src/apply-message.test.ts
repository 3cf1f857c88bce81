import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventsAfter, history, lastSeq, unreadCounts } from "./queries.js";
import { World } from "./testing/world.js";

function pair(): { w: World; alice: string; bob: string } {
  const w = new World();
  return { w, alice: w.register("alice"), bob: w.register("bob") };
}

describe("send", () => {
  it("appends a message with the next seq and the node's fields", () => {
    const { w, alice } = pair();
    const command = {
      ...w.sendCmd(alice, "Bob", "hello\nworld"),
      clientMsgId: "c1",
      messageId: "m1",
      sentAtMs: 42,
    };
    const outcome = w.apply(command);
    const message = {
      seq: 1,
      id: "m1",
      from: "alice",
      to: "bob",
      text: "hello\nworld",
      sentAtMs: 42,
      clientMsgId: "c1",
    };
    assert.deepEqual(outcome, { ok: true, value: { message, duplicate: false } });
    assert.equal(lastSeq(w.state), 1);
    assert.equal(w.send(alice, "bob", "again"), 2);
  });
  it("refuses a send to yourself", () => {
    const { w, alice } = pair();
    assert.deepEqual(w.apply(w.sendCmd(alice, "ALICE", "me")), {
      ok: false,
      error: { kind: "failed-precondition", message: "you cannot send a message to yourself" },
    });
    assert.equal(lastSeq(w.state), 0);
  });
  it("answers not-found for an unknown recipient", () => {
    const { w, alice } = pair();
    assert.deepEqual(w.apply(w.sendCmd(alice, "carol", "hi")), {
      ok: false,
      error: { kind: "not-found", message: 'unknown user "carol"' },
    });
  });
  it("validates text and ids inside apply", () => {
    const { w, alice } = pair();
    const bad = (patch: object) => w.apply({ ...w.sendCmd(alice, "bob", "ok"), ...patch });
    assert.deepEqual(bad({ text: "" }), {
      ok: false,
      error: { kind: "invalid-argument", message: "text must be 1-4096 characters" },
    });
    assert.deepEqual(bad({ text: "\u001b[2J" }), {
      ok: false,
      error: {
        kind: "invalid-argument",
        message: "text must not contain control characters other than newline and tab",
      },
    });
    assert.deepEqual(bad({ clientMsgId: "" }), {
      ok: false,
      error: {
        kind: "invalid-argument",
        message: "client_msg_id must be 1-64 printable ASCII characters",
      },
    });
    assert.deepEqual(bad({ to: "b o b" }), {
      ok: false,
      error: {
        kind: "invalid-argument",
        message: "username must be 1-32 characters of a-z 0-9 _ . -",
      },
    });
    assert.deepEqual(bad({ sentAtMs: Number.NaN }), {
      ok: false,
      error: { kind: "invalid-argument", message: "sent_at_ms must be a finite number" },
    });
    assert.equal(lastSeq(w.state), 0);
  });
  it("returns the first message for a repeated client_msg_id, even with other text", () => {
    const { w, alice } = pair();
    const first = w.must(w.sendCmd(alice, "bob", "first", "same"));
    const again = w.apply(w.sendCmd(alice, "bob", "different text", "same"));
    assert.deepEqual(again, { ok: true, value: { message: first.message, duplicate: true } });
    assert.equal(lastSeq(w.state), 1);
    assert.deepEqual(unreadCounts(w.state, "bob"), [{ peer: "alice", count: 1 }]);
  });
  it("keys client_msg_id per sender", () => {
    const { w, alice, bob } = pair();
    w.must(w.sendCmd(alice, "bob", "from alice", "same"));
    const fromBob = w.must(w.sendCmd(bob, "alice", "from bob", "same"));
    assert.equal(fromBob.duplicate, false);
    assert.equal(fromBob.message.seq, 2);
  });
  it("never lets a caller change a stored message", () => {
    const { w, alice } = pair();
    const { message } = w.must(w.sendCmd(alice, "bob", "frozen"));
    assert.throws(() => {
      (message as { text: string }).text = "changed";
    }, TypeError);
  });
});

describe("unread counts and mark-read", () => {
  it("counts messages from each peer, sorted by peer", () => {
    const w = new World();
    const alice = w.register("alice");
    const carol = w.register("carol");
    const bob = w.register("bob");
    w.send(carol, "alice", "c1");
    w.send(bob, "alice", "b1");
    w.send(bob, "alice", "b2");
    w.send(alice, "bob", "a1"); // alice's own messages never count for her
    assert.deepEqual(unreadCounts(w.state, "alice"), [
      { peer: "bob", count: 2 },
      { peer: "carol", count: 1 },
    ]);
    assert.deepEqual(unreadCounts(w.state, "bob"), [{ peer: "alice", count: 1 }]);
  });
  it("recomputes the count from the new read mark", () => {
    const { w, alice, bob } = pair();
    const s1 = w.send(bob, "alice", "1");
    w.send(alice, "bob", "mine");
    const s3 = w.send(bob, "alice", "3");
    w.send(bob, "alice", "4");
    assert.deepEqual(w.markRead(alice, "bob", s1), { peer: "bob", readUpToSeq: s1, unread: 2 });
    assert.deepEqual(w.markRead(alice, "bob", s3), { peer: "bob", readUpToSeq: s3, unread: 1 });
    assert.deepEqual(unreadCounts(w.state, "alice"), [{ peer: "bob", count: 1 }]);
  });
  it("only moves the read mark forward", () => {
    const { w, alice, bob } = pair();
    w.send(bob, "alice", "1");
    const s2 = w.send(bob, "alice", "2");
    w.markRead(alice, "bob", s2);
    assert.deepEqual(w.markRead(alice, "bob", 1), { peer: "bob", readUpToSeq: s2, unread: 0 });
    assert.deepEqual(unreadCounts(w.state, "alice"), []);
  });
  it("clamps the mark to the last seq, so later messages are unread", () => {
    const { w, alice, bob } = pair();
    w.send(bob, "alice", "1");
    assert.deepEqual(w.markRead(alice, "bob", 1_000), { peer: "bob", readUpToSeq: 1, unread: 0 });
    w.send(bob, "alice", "2");
    assert.deepEqual(unreadCounts(w.state, "alice"), [{ peer: "bob", count: 1 }]);
  });
  it("is a no-op with no conversation, and checks the peer", () => {
    const { w, alice } = pair();
    assert.deepEqual(w.markRead(alice, "bob", 5), { peer: "bob", readUpToSeq: 0, unread: 0 });
    const mark = (peer: string, upToSeq: number) =>
      w.apply({ kind: "mark-read", requestId: w.fresh("req"), tokenHash: alice, peer, upToSeq });
    assert.deepEqual(mark("zed", 1), {
      ok: false,
      error: { kind: "not-found", message: 'unknown user "zed"' },
    });
    assert.deepEqual(mark("alice", 1), {
      ok: false,
      error: { kind: "failed-precondition", message: "you have no conversation with yourself" },
    });
    assert.deepEqual(mark("bob", -1), {
      ok: false,
      error: { kind: "invalid-argument", message: "up_to_seq must be a non-negative integer" },
    });
  });
});

describe("history and eventsAfter through apply", () => {
  it("keeps conversations apart and events in seq order", () => {
    const w = new World();
    const alice = w.register("alice");
    const bob = w.register("bob");
    const carol = w.register("carol");
    w.send(alice, "bob", "ab1"); // 1
    w.send(carol, "alice", "ca1"); // 2
    w.send(bob, "carol", "bc1"); // 3
    w.send(bob, "alice", "ba1"); // 4
    const texts = (r: unknown) => (r as { text: string }[]).map((m) => m.text);
    assert.deepEqual(texts(history(w.state, "alice", { peer: "bob" })), ["ab1", "ba1"]);
    assert.deepEqual(texts(history(w.state, "alice", { peer: "carol" })), ["ca1"]);
    assert.deepEqual(texts(eventsAfter(w.state, "alice", 0, 10)), ["ab1", "ca1", "ba1"]);
    assert.deepEqual(texts(eventsAfter(w.state, "bob", 1, 10)), ["bc1", "ba1"]);
  });
});
