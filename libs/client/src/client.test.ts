import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatError, connect, type ChatClient } from "./index.js";
import { FakeCluster } from "./testing/fake-cluster.js";
import { delay, waitFor } from "./testing/wait.js";

const password = "correct horse";

async function setup(t: { after: (fn: () => void) => void }, options: { nodes?: number } = {}) {
  const cluster = await FakeCluster.start(options);
  t.after(() => cluster.close());
  const open = (deadlineMs = 5_000): ChatClient => {
    const client = connect({ cluster: cluster.clusterList, deadlineMs });
    t.after(() => client.close());
    return client;
  };
  return { cluster, open };
}

async function rejectsWith(promise: Promise<unknown>, kind: string, message: string | RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ChatError, `not a ChatError: ${String(err)}`);
    assert.equal(err.kind, kind);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test("the whole API works through the primary, found via a backup's redirect", async (t) => {
  const { cluster, open } = await setup(t);
  cluster.setPrimary(2);
  const alice = open();
  const bob = open();
  assert.deepEqual(alice.cluster().connection, { kind: "connecting" });
  assert.deepEqual(await alice.register("alice", password), { username: "alice", unread: [] });
  assert.equal(alice.username, "alice");
  await bob.register("bob", password);
  const sent = await alice.send("bob", "hi bob", { clientMsgId: "m-1" });
  assert.deepEqual({ ...sent, sentAtMs: 0 },
    { seq: 1, id: "m1", from: "alice", to: "bob", text: "hi bob", sentAtMs: 0, clientMsgId: "m-1" });
  const reply = await bob.send("alice", "hi alice");
  assert.match(reply.clientMsgId, /^[0-9a-f-]{36}$/, "a client_msg_id is generated per message");
  assert.deepEqual((await alice.history("bob")).map((m) => m.text), ["hi bob", "hi alice"]);
  assert.deepEqual((await alice.listUsers("b*")).users, [{ username: "bob", online: false }]);
  assert.deepEqual((await alice.listUsers()).users.map((u) => u.username), ["alice", "bob"]);
  await alice.markRead("bob", reply.seq);
  assert.equal((cluster.calls[2]!.sendMessage ?? 0), 2);
  const state = alice.cluster();
  assert.deepEqual(state.connection, { kind: "connected", nodeId: 2, address: cluster.addresses[2] });
  assert.equal(state.primaryId, 2);
  assert.equal(state.epoch, 2);
  await alice.logout();
  assert.equal(alice.username, undefined);
  await rejectsWith(alice.send("bob", "x"), "unauthenticated", /not logged in/);
  await alice.login("alice", password);
  await alice.deleteAccount("alice");
  assert.equal(alice.username, undefined);
  const mutating = new Set(cluster.mutations.map((m) => m.method));
  assert.deepEqual([...mutating].sort(),
    ["deleteAccount", "login", "logout", "markRead", "register", "sendMessage"]);
  const ids = cluster.mutations.filter((m) => m.node === 2).map((m) => m.requestId);
  assert.ok(ids.every((id) => /^[0-9a-f-]{36}$/.test(id)), "every mutating call has a UUID");
  assert.equal(new Set(ids).size, ids.length, "one per logical call");
});

test("errors are typed values in words a person understands", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = open();
  await rejectsWith(alice.history("bob"), "unauthenticated", "not logged in; log in first");
  await rejectsWith(alice.login("alice", password), "unknown-user", 'unknown user "alice"');
  await alice.register("alice", password);
  await rejectsWith(open().register("alice", password), "username-taken", 'username "alice" is taken');
  await rejectsWith(open().login("alice", "wrong one"), "wrong-password", 'wrong password for "alice"');
  await rejectsWith(alice.send("bob", "hi"), "unknown-user", 'unknown user "bob"');
  await rejectsWith(alice.send("alice", "hi"), "self-send", "you cannot send a message to yourself");
  cluster.inject("bob", "alice", "hello");
  await rejectsWith(alice.send("bob", ""), "invalid-argument", "text must be 1-4096 characters");
  await rejectsWith(alice.send("bob", "slow down"), "rate-limited", /^too many requests/);
  await rejectsWith(alice.deleteAccount("bob"), "not-allowed", "confirmation does not match your username");
  await rejectsWith(alice.history("bob", { beforeSeq: -1 }), "invalid-argument", /beforeSeq/);
  assert.throws(() => connect({ cluster: "nope" }), /bad cluster address "nope"/);
  assert.throws(() => connect({ cluster: "h:1", deadlineMs: 0 }), /deadlineMs/);
});

test("a reply lost after commit is retried with the same ids: one message, one account", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = open();
  cluster.failRepliesAfterCommit = 2;
  await alice.register("alice", password); // a second Register would answer "taken"
  cluster.inject("bob", "alice", "hello");
  cluster.failRepliesAfterCommit = 3;
  const sent = await alice.send("bob", "once");
  assert.equal(cluster.calls[0]!.sendMessage, 4);
  const attempts = cluster.mutations.filter((m) => m.method === "sendMessage");
  assert.equal(attempts.length, 4);
  assert.equal(new Set(attempts.map((m) => m.requestId)).size, 1, "one chat-request-id");
  assert.equal(new Set(attempts.map((m) => m.clientMsgId)).size, 1, "one client_msg_id");
  assert.match(attempts[0]!.requestId, /^[0-9a-f-]{36}$/);
  const registers = cluster.mutations.filter((m) => m.method === "register");
  assert.equal(registers.length, 3);
  assert.equal(new Set(registers.map((m) => m.requestId)).size, 1);
  assert.deepEqual(cluster.messages.filter((m) => m.text === "once").map((m) => Number(m.seq)), [sent.seq]);
  cluster.failRepliesAfterCommit = 1;
  await alice.logout(); // the retry finds the stored outcome, not "unauthenticated"
  await alice.login("alice", password);
  const again = await alice.send("bob", "once", { clientMsgId: sent.clientMsgId });
  assert.equal(again.seq, sent.seq, "a repeated client_msg_id returns the first message");
});

test("a backup's redirect from a lower epoch is ignored", async (t) => {
  const { cluster, open } = await setup(t);
  cluster.setPrimary(2); // epoch 2
  const alice = open();
  await alice.register("alice", password);
  cluster.quietWatch = true; // the client learns of epoch 3 only by asking
  cluster.setPrimary(1); // epoch 3; the old primary 2 answers with a stale hint to node 0
  cluster.setStaleRedirect(2, { to: cluster.addresses[0]!, epoch: 1 });
  cluster.inject("bob", "alice", "hi");
  const sent = await alice.send("bob", "after the switch");
  assert.equal(cluster.calls[2]!.sendMessages, 1, "tried the old primary first (one send stream)");
  assert.equal(cluster.calls[0]!.sendMessages, undefined, "never followed the stale hint");
  assert.equal(cluster.calls[0]!.sendMessage, undefined);
  assert.equal(cluster.messages.at(-1)!.text, "after the switch");
  assert.equal(sent.seq, 2);
  assert.equal(alice.cluster().primaryId, 1);
  assert.equal(alice.cluster().epoch, 3);
});

test("no node up at start: calls wait, then succeed once a node comes up", async (t) => {
  const cluster = await FakeCluster.start({ stopped: true });
  t.after(() => cluster.close());
  const client = connect({ cluster: cluster.clusterList, deadlineMs: 5_000 });
  t.after(() => client.close());
  const kinds: string[] = [];
  client.onChange((s) => kinds.push(s.connection.kind));
  const started = Date.now();
  const registered = client.register("alice", password);
  await waitFor(() => client.cluster().connection.kind === "offline", 3_000, "offline");
  const offline = client.cluster().connection;
  assert.ok(offline.kind === "offline" && offline.reason.length > 0 && offline.retryInMs <= 1_000);
  await delay(300);
  await cluster.startNode(0);
  await registered;
  assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
  assert.equal(client.cluster().connection.kind, "connected");
  assert.ok(kinds.includes("offline"));
});

test("no node ever: a clear error at the deadline, with bounded, spaced retries", async (t) => {
  const cluster = await FakeCluster.start({ stopped: true });
  t.after(() => cluster.close());
  const client = connect({ cluster: cluster.clusterList, deadlineMs: 800 });
  t.after(() => client.close());
  const started = Date.now();
  await rejectsWith(client.register("alice", password), "unavailable",
    "cluster unavailable: no primary after 0.8 s");
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 750 && elapsed < 1_500, `gave up after ${elapsed} ms`);
});

test("nodes up but no primary: retries are bounded by the backoff, then a clear error", async (t) => {
  const { cluster } = await setup(t);
  cluster.setPrimary(undefined);
  const client = connect({ cluster: cluster.clusterList, deadlineMs: 1_500 });
  t.after(() => client.close());
  await rejectsWith(client.login("alice", password), "unavailable",
    "cluster unavailable: no primary after 1.5 s");
  // Nodes answer and none names a primary (an election): the client asks again (discovery
  // rounds, GetStatus to every node) instead of calling a node that would refuse.
  const logins = cluster.calls.reduce((sum, c) => sum + (c.login ?? 0), 0);
  assert.equal(logins, 0);
  const rounds = Math.min(...cluster.calls.map((c) => c.getStatus ?? 0));
  // Backoff 20-100 ms growing to 1 s: at most ~10 waits fit in 1.5 s; at least a few tries
  // (the watcher's GetStatus probe adds one a second).
  assert.ok(rounds >= 3 && rounds <= 17, `${rounds} discovery rounds`);
});

test("close() fails calls in flight and later ones as closed, and ends in state closed", async (t) => {
  const { cluster, open } = await setup(t);
  const client = open();
  await client.register("alice", password);
  cluster.inject("bob", "alice", "hi");
  cluster.setSilent(0, true);
  const pending = client.send("bob", "never answered");
  await delay(50);
  client.close();
  await rejectsWith(pending, "closed", "client closed");
  await rejectsWith(client.history("bob"), "closed", "client closed");
  assert.deepEqual(client.cluster().connection, { kind: "closed" });
  cluster.setSilent(0, false);
});
