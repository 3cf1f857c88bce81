// send() pipelines a session's sends on one SendMessages stream (send-pipe.ts): one stream for
// many sends, per-send errors that leave the stream open, exactly-once through failovers, and
// a fall-back to unary calls for a node without the stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatError, connect, type ChatClient } from "./index.js";
import { FakeCluster } from "./testing/fake-cluster.js";
import { delay } from "./testing/wait.js";

const password = "correct horse";

async function setup(t: { after: (fn: () => void) => void }, sendStream?: boolean) {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const open = async (name: string): Promise<ChatClient> => {
    const client = connect({ cluster: cluster.clusterList, deadlineMs: 5_000, ...(sendStream === undefined ? {} : { sendStream }) });
    t.after(() => client.close());
    await client.register(name, password);
    return client;
  };
  return { cluster, open };
}

const total = (calls: Record<string, number>[], method: string): number =>
  calls.reduce((sum, c) => sum + (c[method] ?? 0), 0);

test("many sends in flight share one stream and commit in the order they were sent", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = await open("alice");
  await open("bob");
  const texts = Array.from({ length: 200 }, (_, i) => `m${i}`);
  const sent = await Promise.all(texts.map((text) => alice.send("bob", text)));
  assert.deepEqual(sent.map((m) => m.text), texts);
  assert.deepEqual(cluster.messages.map((m) => m.text), texts, "committed in send order");
  assert.equal(total(cluster.calls, "sendMessages"), 1, "one stream");
  assert.equal(total(cluster.calls, "sendMessage"), 200, "every send went over it");
  const sends = cluster.mutations.filter((m) => m.method === "sendMessage");
  assert.equal(new Set(sends.map((m) => m.requestId)).size, 200, "a request id per send");
});

test("a send refused on its own fails alone; the stream goes on", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = await open("alice");
  await open("bob");
  const outcomes = await Promise.allSettled([
    alice.send("bob", "one"), alice.send("nobody", "lost"), alice.send("alice", "me"), alice.send("bob", "two"),
  ]);
  assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "rejected", "fulfilled"]);
  const kinds = outcomes.map((o) => (o.status === "rejected" && o.reason instanceof ChatError ? o.reason.kind : ""));
  assert.deepEqual(kinds, ["", "unknown-user", "self-send", ""]);
  assert.match((outcomes[1] as PromiseRejectedResult).reason.message, /unknown user "nobody"/);
  await alice.send("bob", "three");
  assert.equal(total(cluster.calls, "sendMessages"), 1);
});

test("sends held by a silent primary are sent again on the new one: each exactly once, in order", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = await open("alice");
  await open("bob");
  await alice.send("bob", "warm-up");
  cluster.setSilent(0, true);
  const pending = Array.from({ length: 20 }, (_, i) => alice.send("bob", `held ${i}`));
  await delay(50);
  cluster.setPrimary(1);
  const sent = await Promise.all(pending);
  cluster.setSilent(0, false); // the old primary's held answers go nowhere
  await delay(50);
  const texts = cluster.messages.map((m) => m.text);
  assert.deepEqual(texts, ["warm-up", ...sent.map((m) => m.text)]);
  assert.equal(new Set(texts).size, texts.length, "no duplicates");
  assert.equal(alice.cluster().primaryId, 1);
});

test("answers lost after commit: the retries on a new stream return the first messages", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = await open("alice");
  await open("bob");
  cluster.failRepliesAfterCommit = 1; // the first send commits, then the stream breaks
  const sent = await Promise.all([alice.send("bob", "a"), alice.send("bob", "b"), alice.send("bob", "c")]);
  assert.deepEqual(sent.map((m) => m.text), ["a", "b", "c"]);
  assert.deepEqual(cluster.messages.map((m) => m.text), ["a", "b", "c"], "each once");
  assert.ok(total(cluster.calls, "sendMessages") >= 2, "a second stream carried the retries");
});

test("a node without SendMessages: sends fall back to unary calls", async (t) => {
  const { cluster, open } = await setup(t);
  cluster.noSendStream = true;
  const alice = await open("alice");
  await open("bob");
  const sent = await Promise.all([alice.send("bob", "x"), alice.send("bob", "y")]);
  assert.deepEqual(sent.map((m) => m.text).sort(), ["x", "y"]);
  await alice.send("bob", "z");
  assert.equal(total(cluster.calls, "sendMessages"), 1, "tried once, then unary only");
  assert.equal(cluster.messages.length, 3);
});

test("sendStream: false sends one unary call per message", async (t) => {
  const { cluster, open } = await setup(t, false);
  const alice = await open("alice");
  await open("bob");
  await Promise.all([alice.send("bob", "x"), alice.send("bob", "y")]);
  assert.equal(total(cluster.calls, "sendMessages"), 0);
  assert.equal(total(cluster.calls, "sendMessage"), 2);
});

test("logging out fails the sends still in flight; close() fails them as closed", async (t) => {
  const { cluster, open } = await setup(t);
  const alice = await open("alice");
  await open("bob");
  cluster.setSilent(0, true);
  const inFlight = alice.send("bob", "never answered");
  await delay(20);
  const logout = alice.logout();
  await assert.rejects(inFlight, (err: unknown) => err instanceof ChatError && err.kind === "unauthenticated");
  cluster.setSilent(0, false);
  await logout;
  await alice.login("alice", password);
  cluster.setSilent(0, true);
  const later = alice.send("bob", "also never answered");
  await delay(20);
  alice.close();
  await assert.rejects(later, (err: unknown) => err instanceof ChatError && err.kind === "closed");
});

test("a stream idle for longer than the attempt timeout is not taken for stalled by its next send", async (t) => {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const alice = connect({ cluster: cluster.clusterList, deadlineMs: 5_000, attemptTimeoutMs: 300 });
  t.after(() => alice.close());
  await alice.register("alice", password);
  const bob = connect({ cluster: cluster.clusterList, deadlineMs: 5_000 });
  t.after(() => bob.close());
  await bob.register("bob", password);
  await alice.send("bob", "opens the stream");
  await delay(600); // idle: twice the attempt timeout
  cluster.setSilent(0, true);
  const slow = alice.send("bob", "answered after 200 ms");
  await delay(200); // sweeps ran, but the send is younger than the attempt timeout
  cluster.setSilent(0, false);
  await slow;
  assert.equal(total(cluster.calls, "sendMessages"), 1, "the same stream answered");
  assert.equal(cluster.messages.length, 2);
});
