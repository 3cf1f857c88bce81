import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatError, connect, type ChatClient, type Message } from "./index.js";
import { FakeCluster } from "./testing/fake-cluster.js";
import { delay, waitFor } from "./testing/wait.js";
import type { EventStream } from "./events.js";
import { eventsBufferMax } from "./limits.js";

async function setup(t: { after: (fn: () => void) => void }) {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const alice = connect({ cluster: cluster.clusterList, deadlineMs: 5_000 });
  t.after(() => alice.close());
  await alice.register("alice", "password");
  return { cluster, alice };
}

/** Collects what `events()` yields into an array, in the background. */
function collect(client: ChatClient, options: { afterSeq?: number; signal?: AbortSignal } = {}) {
  const got: Message[] = [];
  const iterator = client.events(options);
  const done = (async () => {
    for await (const m of iterator) got.push(m);
  })();
  return { got, iterator, done };
}

function assertExactlyOnceInOrder(got: Message[], expected: bigint[]): void {
  assert.deepEqual(got.map((m) => m.seq), expected.map(Number));
}

test("exactly once, in seq order, across primary switches and replays", async (t) => {
  const { cluster, alice } = await setup(t);
  cluster.replayOverlap = 3; // new streams resend a few old events: the client must drop them
  const stream = collect(alice);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 5; i++) cluster.inject("bob", "alice", `r${round} m${i}`);
    cluster.inject("carol", "dave", "not for alice");
    await waitFor(() => stream.got.length === (round + 1) * 5, 5_000, `round ${round}`);
    cluster.setPrimary((round + 1) % 3);
  }
  await delay(300); // replays after the last switch arrive and are dropped
  assertExactlyOnceInOrder(stream.got, cluster.userMessages("alice").map((m) => m.seq));
  assert.deepEqual(stream.got.slice(0, 2).map((m) => m.text), ["r0 m0", "r0 m1"]);
  await stream.iterator.return!();
  await stream.done;
});

test("the primary is killed mid-stream: the stream resumes from its cursor elsewhere", async (t) => {
  const { cluster, alice } = await setup(t);
  const stream = collect(alice);
  for (let i = 0; i < 10; i++) cluster.inject("bob", "alice", `before ${i}`);
  await waitFor(() => stream.got.length === 10);
  cluster.stopNode(0);
  for (let i = 0; i < 10; i++) cluster.inject("bob", "alice", `during ${i}`);
  cluster.setPrimary(1);
  await waitFor(() => stream.got.length === 20, 5_000, "20 events");
  assertExactlyOnceInOrder(stream.got, cluster.userMessages("alice").map((m) => m.seq));
  assert.ok((cluster.calls[1]!.subscribe ?? 0) >= 1);
});

test("a silent primary (no heartbeats) is left after 1 s for the new primary (CE17)", async (t) => {
  const { cluster, alice } = await setup(t);
  const stream = collect(alice);
  cluster.inject("bob", "alice", "first");
  await waitFor(() => stream.got.length === 1);
  cluster.setSilent(0, true); // SIGSTOP: sockets stay open, nothing is sent
  const stoppedAt = Date.now();
  cluster.setPrimary(1);
  cluster.inject("bob", "alice", "second");
  await waitFor(() => stream.got.length === 2, 5_000, "the event after the switch");
  const gapMs = Date.now() - stoppedAt;
  assert.ok(gapMs >= 900 && gapMs < 2_500, `resubscribed after ${gapMs} ms`);
  assert.deepEqual(stream.got.map((m) => m.text), ["first", "second"]);
  cluster.setSilent(0, false);
});

test("afterSeq skips what was seen; an AbortSignal and close() end the iterator", async (t) => {
  const { cluster, alice } = await setup(t);
  for (let i = 0; i < 5; i++) cluster.inject("bob", "alice", `m${i}`);
  const controller = new AbortController();
  const stream = collect(alice, { afterSeq: 3, signal: controller.signal });
  await waitFor(() => stream.got.length === 2);
  assert.deepEqual(stream.got.map((m) => m.seq), [4, 5]);
  controller.abort();
  await stream.done;
  const second = collect(alice);
  await waitFor(() => second.got.length === 5);
  alice.close();
  await second.done;
  const { value, done } = await alice.events().next();
  assert.equal(done, true);
  assert.equal(value, undefined);
});

test("a slow consumer: the buffer is bounded (the stream pauses) and nothing is lost", async (t) => {
  const { cluster, alice } = await setup(t);
  const iterator = alice.events();
  for (let i = 0; i < 2_500; i++) cluster.inject("bob", "alice", `m${i}`);
  await delay(1_500); // longer than the silence limit: a paused stream is not "silent"
  assert.ok((iterator as EventStream).lastSeq <= eventsBufferMax, "taken in only up to the bound");
  const seqs: number[] = [];
  for await (const m of iterator) {
    seqs.push(m.seq);
    if (seqs.length === 2_500) break;
  }
  assert.deepEqual(seqs, Array.from({ length: 2_500 }, (_, i) => i + 1));
  assert.equal(cluster.calls[0]!.subscribe, 1, "one subscription: no resubscribe while paused");
});

test("events() without a login fails with a typed error; a logout ends the stream", async (t) => {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const client = connect({ cluster: cluster.clusterList });
  t.after(() => client.close());
  await assert.rejects(client.events().next(), (err: unknown) =>
    err instanceof ChatError && err.kind === "unauthenticated");
  await client.register("alice", "password");
  const iterator = client.events();
  const next = iterator.next();
  await delay(100);
  await client.logout();
  // The fake keeps the stream open after logout (the real node ends it with UNAUTHENTICATED);
  // a resubscription (here: after a switch) must not carry on without a token.
  cluster.setPrimary(1);
  await assert.rejects(next, (err: unknown) => err instanceof ChatError && err.kind === "unauthenticated");
});
