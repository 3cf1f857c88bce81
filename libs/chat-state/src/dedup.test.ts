import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyCommand } from "./apply.js";
import type { Command } from "./commands.js";
import { dedupRetainMs, sessionTtlMs } from "./limits.js";
import { authenticate, findAccount, lastSeq, unreadCounts } from "./queries.js";
import { stateDigest } from "./digest.js";
import { registerCmd, World } from "./testing/world.js";

const sessionInvalid = { kind: "unauthenticated", message: "session expired or logged out" };

/** Applies `command` twice; the second answer must equal the first and change nothing. */
function assertIdempotent(w: World, command: Command): void {
  const first = w.apply(command);
  const digestAfterFirst = stateDigest(w.state);
  const second = w.apply(command);
  assert.deepEqual(
    second,
    first.ok && command.kind === "send"
      ? { ok: true, value: { ...first.value, duplicate: true } }
      : first
  );
  // Only the clock and the applied index move.
  assert.equal(
    stateDigest({ ...w.state, appliedIndex: w.index - 1, lastTs: w.ts - 1 }),
    digestAfterFirst
  );
}

describe("a repeated chat-request-id returns the stored outcome", () => {
  it("register: ok again, not already-exists (CE16)", () => {
    const w = new World();
    const command = registerCmd("req-1", "alice", "pw-alice", "tok-1");
    assertIdempotent(w, command);
    assert.equal(w.state.accounts.size, 1);
  });
  it("login", () => {
    const w = new World();
    w.register("alice");
    assertIdempotent(w, {
      kind: "login",
      requestId: "req-l",
      username: "alice",
      passwordHash: "hash:pw-alice",
      tokenHash: "tok-l",
    });
  });
  it("logout: ok again, not unauthenticated", () => {
    const w = new World();
    const alice = w.register("alice");
    assertIdempotent(w, { kind: "logout", requestId: "req-o", tokenHash: alice });
    assert.deepEqual(authenticate(w.state, alice, w.ts), sessionInvalid);
  });
  it("delete-account: ok again, not unauthenticated", () => {
    const w = new World();
    const alice = w.register("alice");
    assertIdempotent(w, {
      kind: "delete-account",
      requestId: "req-d",
      tokenHash: alice,
      confirmUsername: "alice",
    });
    assert.equal(findAccount(w.state, "alice"), undefined);
  });
  it("send: the same message, seq not advanced, even with a new client_msg_id", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    const command = w.sendCmd(alice, "bob", "once");
    assertIdempotent(w, command);
    const retry = w.apply({ ...command, clientMsgId: "another", text: "changed" });
    assert.equal(retry.ok && retry.value.message.text, "once");
    assert.equal(lastSeq(w.state), 1);
  });
  it("mark-read", () => {
    const w = new World();
    const alice = w.register("alice");
    const bob = w.register("bob");
    w.send(bob, "alice", "1");
    assertIdempotent(w, {
      kind: "mark-read",
      requestId: "req-m",
      tokenHash: alice,
      peer: "bob",
      upToSeq: 1,
    });
  });
  it("a stored error is replayed too", () => {
    const w = new World();
    w.register("alice");
    const taken = registerCmd("req-x", "alice", "pw", "tok-x");
    const first = w.apply(taken);
    assert.equal(first.ok, false);
    w.must({
      kind: "delete-account",
      requestId: "req-del",
      tokenHash: "token-1",
      confirmUsername: "alice",
    });
    assert.deepEqual(w.apply(taken), first); // the name is free now, but the answer stands
    assert.equal(findAccount(w.state, "alice"), undefined);
  });
  it("refuses a request id reused for a different call", () => {
    const w = new World();
    const alice = w.register("alice");
    w.must({ kind: "logout", requestId: "req-z", tokenHash: alice });
    assert.deepEqual(w.apply(registerCmd("req-z", "bob", "pw-bob", "tok-b")), {
      ok: false,
      error: {
        kind: "invalid-argument",
        message: 'chat-request-id "req-z" was already used for a different call (logout)',
      },
    });
    assert.equal(findAccount(w.state, "bob"), undefined);
  });
});

// CE12: a client pipelines sends c5 and c6; c6 commits first. A per-client "lastSeq" would
// answer a retried c5 with c6's result (or drop it). Dedup by (sender, client_msg_id) at apply
// time gives each send its own message, exactly once, whatever order the retries land in.
describe("CE12: pipelined sends from one client, applied out of order", () => {
  it("a retried earlier send gets its own message, never a later one's", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    const c5 = w.sendCmd(alice, "bob", "five", "c5");
    const c6 = w.sendCmd(alice, "bob", "six", "c6");
    const six = w.must(c6); // c5's first attempt was lost in a failover; c6 committed
    const five = w.must(c5); // the retry of c5 (same request id and client_msg_id)
    assert.equal(five.duplicate, false);
    assert.equal(five.message.text, "five");
    assert.notEqual(five.message.id, six.message.id);
    const retryFive = w.must(c5);
    const retrySix = w.must(c6);
    assert.deepEqual(retryFive, { message: five.message, duplicate: true });
    assert.deepEqual(retrySix, { message: six.message, duplicate: true });
    // A retry that reached another node carries a new request id: still keyed by the pair.
    const elsewhere = w.must({ ...c5, requestId: "req-other-node", messageId: "m-other" });
    assert.deepEqual(elsewhere, { message: five.message, duplicate: true });
    assert.equal(lastSeq(w.state), 2);
    assert.deepEqual(unreadCounts(w.state, "bob"), [{ peer: "alice", count: 2 }]);
  });
});

describe("a retried register or login on another node", () => {
  it("gives the new token a session when the password hash matches", () => {
    const w = new World();
    w.apply(registerCmd("req-1", "alice", "pw-alice", "tok-old"));
    // The new primary minted tok-new and, after verifying, sent the stored hash.
    const retry = w.apply(registerCmd("req-1", "alice", "pw-alice", "tok-new"));
    assert.deepEqual(retry, { ok: true, value: { username: "alice", unread: [] } });
    assert.deepEqual(authenticate(w.state, "tok-new", w.ts), { username: "alice" });
    assert.deepEqual(authenticate(w.state, "tok-old", w.ts), { username: "alice" });
  });
  it("gives no session when the hash does not match", () => {
    const w = new World();
    w.apply(registerCmd("req-1", "alice", "pw-alice", "tok-old"));
    w.apply(registerCmd("req-1", "alice", "guess-pw", "tok-evil"));
    assert.deepEqual(authenticate(w.state, "tok-evil", w.ts), sessionInvalid);
  });
  it("gives no session when the first outcome was an error", () => {
    const w = new World();
    w.register("alice");
    const wrong = {
      kind: "login",
      requestId: "req-l",
      username: "alice",
      passwordHash: "hash:bad",
      tokenHash: "t1",
    } as const;
    w.apply(wrong);
    w.apply({ ...wrong, passwordHash: "hash:pw-alice", tokenHash: "t2" });
    assert.deepEqual(authenticate(w.state, "t2", w.ts), sessionInvalid);
  });
});

describe("expiry by log time", () => {
  it("forgets a request id after dedupRetainMs", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    const command = w.sendCmd(alice, "bob", "hi");
    w.must(command);
    w.must({ ...command, clientMsgId: "other" }, dedupRetainMs - 2);
    assert.equal(lastSeq(w.state), 1);
    w.apply({ kind: "logout", requestId: "tick", tokenHash: "none" }, 2); // any command expires
    assert.equal(w.state.requests.has(command.requestId), false);
    const late = w.must({ ...command, clientMsgId: "other" });
    assert.equal(late.duplicate, false);
    assert.equal(lastSeq(w.state), 2);
  });
  it("forgets a client_msg_id after dedupRetainMs", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    w.must(w.sendCmd(alice, "bob", "hi", "c-1"));
    assert.equal(w.must(w.sendCmd(alice, "bob", "hi", "c-1"), dedupRetainMs - 1).duplicate, true);
    assert.equal(w.must(w.sendCmd(alice, "bob", "hi", "c-1"), 1).duplicate, false);
    assert.deepEqual(unreadCounts(w.state, "bob"), [{ peer: "alice", count: 2 }]);
  });
  it("ends a session sessionTtlMs after it was created, even if used", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    const created = w.ts - 1;
    w.send(alice, "bob", "still here");
    assert.deepEqual(authenticate(w.state, alice, created + sessionTtlMs - 1), {
      username: "alice",
    });
    assert.deepEqual(authenticate(w.state, alice, created + sessionTtlMs), sessionInvalid);
    w.ts = created + sessionTtlMs - 1;
    assert.equal(w.apply(w.sendCmd(alice, "bob", "last minute"), 0).ok, true);
    assert.deepEqual(w.apply(w.sendCmd(alice, "bob", "too late"), 1), {
      ok: false,
      error: sessionInvalid,
    });
    assert.equal(w.state.sessions.has(alice), false);
  });
  it("decides expiry only from ctx.ts, and refuses time going backwards (CE15)", () => {
    const w = new World();
    w.register("alice");
    assert.throws(
      () =>
        applyCommand(w.state, registerCmd("r", "bob", "pw-bob-1", "t"), {
          index: w.index + 1,
          ts: w.ts - 1,
        }),
      /log time went from/
    );
    assert.throws(
      () =>
        applyCommand(w.state, registerCmd("r", "bob", "pw-bob-1", "t"), {
          index: w.index - 1,
          ts: w.ts,
        }),
      /log index went from/
    );
  });
});

describe("untrusted command shapes", () => {
  it("turns malformed commands into invalid-argument outcomes", () => {
    const w = new World();
    const apply = (input: unknown) => w.apply(input as Command);
    assert.deepEqual(apply(null), {
      ok: false,
      error: { kind: "invalid-argument", message: "a command must be an object" },
    });
    assert.deepEqual(apply({ kind: "drop-tables", requestId: "r" }), {
      ok: false,
      error: { kind: "invalid-argument", message: 'unknown command kind "drop-tables"' },
    });
    assert.deepEqual(apply({ kind: "logout", requestId: "" }), {
      ok: false,
      error: {
        kind: "invalid-argument",
        message: "chat-request-id must be 1-64 printable ASCII characters",
      },
    });
    assert.deepEqual(
      apply({ kind: "mark-read", requestId: "r", tokenHash: "t", peer: "bob", upToSeq: "5" }),
      {
        ok: false,
        error: { kind: "invalid-argument", message: "mark-read: upToSeq must be a number" },
      }
    );
    assert.equal(w.state.requests.size, 0);
  });
});
