import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  authenticate,
  eventsAfter,
  findAccount,
  history,
  listUsers,
  unreadCounts,
} from "./queries.js";
import { registerCmd, World } from "./testing/world.js";

const sessionInvalid = { kind: "unauthenticated", message: "session expired or logged out" };

describe("register", () => {
  it("creates the account and logs it in", () => {
    const w = new World();
    const outcome = w.apply(registerCmd("r1", "Alice", "secret-pw", "tok-a"));
    assert.deepEqual(outcome, { ok: true, value: { username: "alice", unread: [] } });
    assert.deepEqual(authenticate(w.state, "tok-a", w.ts), { username: "alice" });
    assert.deepEqual(findAccount(w.state, "ALICE"), {
      username: "alice",
      passwordHash: "hash:secret-pw",
    });
  });
  it("refuses a taken name, case-insensitively", () => {
    const w = new World();
    w.register("alice");
    const outcome = w.apply(registerCmd("r2", "ALICE", "other-pw", "tok-x"));
    assert.deepEqual(outcome, {
      ok: false,
      error: { kind: "already-exists", message: 'username "alice" is taken' },
    });
    assert.equal(authenticate(w.state, "tok-x", w.ts).hasOwnProperty("username"), false);
  });
  it("validates the username again inside apply", () => {
    const w = new World();
    const outcome = w.apply(registerCmd("r1", "no spaces", "secret-pw", "tok-a"));
    assert.deepEqual(outcome, {
      ok: false,
      error: {
        kind: "invalid-argument",
        message: "username must be 1-32 characters of a-z 0-9 _ . -",
      },
    });
    assert.equal(w.state.accounts.size, 0);
  });
  it("refuses a token hash that already has a session", () => {
    const w = new World();
    w.apply(registerCmd("r1", "alice", "pw-alice", "tok-same"));
    const outcome = w.apply(registerCmd("r2", "bob", "pw-bob", "tok-same"));
    assert.deepEqual(outcome, {
      ok: false,
      error: { kind: "invalid-argument", message: "session token is already in use" },
    });
    assert.equal(findAccount(w.state, "bob"), undefined);
  });
});

describe("login", () => {
  it("opens another session and reports unread counts", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    w.send(alice, "bob", "hi");
    w.send(alice, "bob", "there");
    const outcome = w.apply({
      kind: "login",
      requestId: "l1",
      username: "Bob",
      passwordHash: "hash:pw-bob",
      tokenHash: "tok-b2",
    });
    assert.deepEqual(outcome, {
      ok: true,
      value: { username: "bob", unread: [{ peer: "alice", count: 2 }] },
    });
    assert.deepEqual(authenticate(w.state, "tok-b2", w.ts), { username: "bob" });
  });
  it("answers wrong password when the hash differs", () => {
    const w = new World();
    w.register("alice");
    const outcome = w.apply({
      kind: "login",
      requestId: "l1",
      username: "alice",
      passwordHash: "hash:nope",
      tokenHash: "t",
    });
    assert.deepEqual(outcome, {
      ok: false,
      error: { kind: "unauthenticated", message: "wrong password" },
    });
    assert.deepEqual(authenticate(w.state, "t", w.ts), sessionInvalid);
  });
  it("answers not-found for an unknown user", () => {
    const w = new World();
    const outcome = w.apply({
      kind: "login",
      requestId: "l1",
      username: "bob",
      passwordHash: "hash:x",
      tokenHash: "t",
    });
    assert.deepEqual(outcome, {
      ok: false,
      error: { kind: "not-found", message: 'unknown user "bob"' },
    });
  });
  it("caps sessions per account, revoking the oldest", () => {
    const w = new World();
    const first = w.register("alice");
    const tokens = [first];
    for (let i = 1; i < 100; i++) tokens.push(w.login("alice"));
    assert.deepEqual(authenticate(w.state, first, w.ts), { username: "alice" });
    const newest = w.login("alice");
    assert.deepEqual(authenticate(w.state, first, w.ts), sessionInvalid);
    assert.deepEqual(authenticate(w.state, tokens[1] as string, w.ts), { username: "alice" });
    assert.deepEqual(authenticate(w.state, newest, w.ts), { username: "alice" });
  });
});

describe("logout", () => {
  it("ends only that session", () => {
    const w = new World();
    const one = w.register("alice");
    const two = w.login("alice");
    assert.deepEqual(w.apply({ kind: "logout", requestId: "o1", tokenHash: one }), {
      ok: true,
      value: {},
    });
    assert.deepEqual(authenticate(w.state, one, w.ts), sessionInvalid);
    assert.deepEqual(authenticate(w.state, two, w.ts), { username: "alice" });
  });
  it("answers unauthenticated for an unknown token", () => {
    const w = new World();
    assert.deepEqual(w.apply({ kind: "logout", requestId: "o1", tokenHash: "nope" }), {
      ok: false,
      error: sessionInvalid,
    });
  });
  it("makes a later send with that token fail", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    w.must({ kind: "logout", requestId: "o1", tokenHash: alice });
    assert.deepEqual(w.apply(w.sendCmd(alice, "bob", "hi")), { ok: false, error: sessionInvalid });
  });
});

describe("delete-account", () => {
  it("needs the caller's own username", () => {
    const w = new World();
    const alice = w.register("alice");
    const outcome = w.apply({
      kind: "delete-account",
      requestId: "d1",
      tokenHash: alice,
      confirmUsername: "bob",
    });
    assert.deepEqual(outcome, {
      ok: false,
      error: {
        kind: "failed-precondition",
        message: 'confirm_username "bob" does not match your username "alice"',
      },
    });
    assert.notEqual(findAccount(w.state, "alice"), undefined);
  });
  it("deletes the user and revokes every session", () => {
    const w = new World();
    const one = w.register("alice");
    const two = w.login("alice");
    const outcome = w.apply({
      kind: "delete-account",
      requestId: "d1",
      tokenHash: two,
      confirmUsername: "Alice",
    });
    assert.deepEqual(outcome, { ok: true, value: { username: "alice" } });
    assert.equal(findAccount(w.state, "alice"), undefined);
    assert.deepEqual(authenticate(w.state, one, w.ts), sessionInvalid);
    assert.deepEqual(authenticate(w.state, two, w.ts), sessionInvalid);
    assert.equal(w.state.sessions.size, 0);
    assert.deepEqual(
      listUsers(w.state, {}, () => false),
      { users: [], nextPageToken: "" }
    );
  });
  it("lets a re-registered name start clean", () => {
    const w = new World();
    const alice = w.register("alice");
    const bob = w.register("bob");
    w.must(w.sendCmd(alice, "bob", "old alice to bob", "same-id"));
    w.send(bob, "alice", "bob to old alice");
    w.send(bob, "alice", "unread by old alice");
    w.must({ kind: "delete-account", requestId: "d1", tokenHash: alice, confirmUsername: "alice" });
    assert.deepEqual(unreadCounts(w.state, "bob"), []);
    assert.deepEqual(eventsAfter(w.state, "bob", 0, 100), []);

    const alice2 = w.register("alice", "a-new-password");
    assert.deepEqual(unreadCounts(w.state, "alice"), []);
    assert.deepEqual(history(w.state, "alice", { peer: "bob" }), []);
    assert.deepEqual(history(w.state, "bob", { peer: "alice" }), []);
    assert.deepEqual(eventsAfter(w.state, "alice", 0, 100), []);
    // The old client_msg_ids are gone too: the new alice's "same-id" is a new message.
    const sent = w.must(w.sendCmd(alice2, "bob", "new alice", "same-id"));
    assert.equal(sent.duplicate, false);
    assert.equal(sent.message.seq, 4);
    assert.deepEqual(history(w.state, "bob", { peer: "alice" }), [sent.message]);
    assert.deepEqual(unreadCounts(w.state, "bob"), [{ peer: "alice", count: 1 }]);
    // The old messages stay in the log, unchanged.
    assert.equal(w.state.messages.at(1)?.text, "old alice to bob");
  });
  it("answers unauthenticated with a dead token", () => {
    const w = new World();
    assert.deepEqual(
      w.apply({ kind: "delete-account", requestId: "d1", tokenHash: "t", confirmUsername: "x" }),
      { ok: false, error: sessionInvalid }
    );
  });
});
