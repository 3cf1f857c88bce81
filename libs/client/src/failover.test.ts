import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type ConnectionState } from "./index.js";
import { watchProbeIntervalMs } from "./limits.js";
import { FakeCluster } from "./testing/fake-cluster.js";
import { delay, waitFor } from "./testing/wait.js";

async function setup(t: { after: (fn: () => void) => void }) {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const client = connect({ cluster: cluster.clusterList, deadlineMs: 5_000 });
  t.after(() => client.close());
  const connections: ConnectionState[] = [];
  client.onChange((s) => {
    const last = connections.at(-1);
    if (last?.kind !== s.connection.kind) connections.push(s.connection);
  });
  return { cluster, client, connections };
}

test("state goes connecting → connected → rebinding → connected when the primary dies", async (t) => {
  const { cluster, client, connections } = await setup(t);
  const first = client.cluster();
  assert.deepEqual(first.connection, { kind: "connecting" });
  assert.equal(client.cluster(), first, "the same snapshot until something changes");
  await client.register("alice", "password");
  cluster.inject("bob", "alice", "hi");
  const before = Date.now();
  cluster.stopNode(0);
  await waitFor(() => client.cluster().connection.kind === "rebinding", 2_000, "rebinding");
  cluster.setPrimary(1);
  const sent = await client.send("bob", "after the failover");
  assert.equal(sent.text, "after the failover");
  await waitFor(() => client.cluster().nodes[0]!.role === "down", 2_000, "node 0 shown down");
  const state = client.cluster();
  assert.deepEqual(state.connection, { kind: "connected", nodeId: 1, address: cluster.addresses[1] });
  assert.equal(state.primaryId, 1);
  assert.deepEqual(state.nodes.map((n) => [n.id, n.role, n.reachable]),
    [[0, "down", false], [1, "primary", true], [2, "backup", true]]);
  assert.deepEqual(connections.map((c) => c.kind), ["connected", "rebinding", "connected"]);
  const rebinding = connections[1]!;
  assert.ok(rebinding.kind === "rebinding" && rebinding.since >= before);
  assert.ok(Object.isFrozen(state));
});

test("a send in flight to a silent primary is retried on the new one: one message", async (t) => {
  const { cluster, client } = await setup(t);
  await client.register("alice", "password");
  cluster.inject("bob", "alice", "hi");
  cluster.setSilent(0, true);
  const started = Date.now();
  const sending = client.send("bob", "through a pause");
  await delay(100);
  cluster.setPrimary(1);
  const sent = await sending;
  const elapsedMs = Date.now() - started;
  cluster.setSilent(0, false); // the held attempt now answers on the old node: not a second message
  await delay(100);
  assert.equal(cluster.messages.filter((m) => m.text === "through a pause").length, 1);
  assert.equal(Number(cluster.messages.at(-1)!.seq), sent.seq);
  assert.ok(elapsedMs < 1_500, `rebound after ${elapsedMs} ms`);
});

test("an attempt on a silent primary is dropped as soon as the watch names a newer one", async (t) => {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const [a0, a1, a2] = cluster.addresses;
  const client = connect({ cluster: [a2!, a0!, a1!], deadlineMs: 5_000 }); // watch node 2
  t.after(() => client.close());
  await client.register("alice", "password");
  cluster.inject("bob", "alice", "hi");
  cluster.setSilent(0, true);
  const sending = client.send("bob", "quick");
  await delay(100);
  const switchedAt = Date.now();
  cluster.setPrimary(1);
  await sending;
  const afterSwitchMs = Date.now() - switchedAt;
  assert.ok(afterSwitchMs < 500, `retried ${afterSwitchMs} ms after the switch (attempt timeout 1 s)`);
  assert.equal(cluster.messages.filter((m) => m.text === "quick").length, 1);
  cluster.setSilent(0, false);
});

test("the cluster watch moves to another node when its node stops, and shows the change", async (t) => {
  const { cluster, client } = await setup(t);
  await waitFor(() => client.cluster().connection.kind === "connected", 2_000, "connected");
  await waitFor(() => (cluster.calls[1]!.watchCluster ?? 0) > 0, 2_000, "the watch leaves the primary");
  const watchesBefore = cluster.calls[2]!.watchCluster ?? 0;
  cluster.stopNode(1);
  await waitFor(() => client.cluster().nodes[1]!.role === "down", 2_000, "node 1 shown down");
  assert.ok((cluster.calls[2]!.watchCluster ?? 0) > watchesBefore, "a new WatchCluster stream on backup 2");
  cluster.stopNode(0);
  cluster.setPrimary(2);
  await waitFor(() => client.cluster().primaryId === 2, 3_000, "primary 2 seen without any call");
  assert.deepEqual(client.cluster().connection,
    { kind: "connected", nodeId: 2, address: cluster.addresses[2] });
  // The others are down: the watch stays on the primary rather than leave for a dead node.
  const watches = cluster.calls[2]!.watchCluster ?? 0;
  await delay(300);
  assert.equal(cluster.calls[2]!.watchCluster ?? 0, watches, "one stream, kept");
  assert.equal(client.cluster().primaryId, 2);
});

test("the watch is on a backup: a silent primary's successor is seen at once, without any call", async (t) => {
  const { cluster, client } = await setup(t);
  await waitFor(() => client.cluster().connection.kind === "connected", 2_000, "connected");
  await waitFor(() => (cluster.calls[1]!.watchCluster ?? 0) > 0, 2_000, "the watch leaves the primary");
  cluster.setSilent(0, true);
  const started = Date.now();
  cluster.setPrimary(1);
  await waitFor(() => client.cluster().primaryId === 1, watchProbeIntervalMs, "primary 1 seen");
  // A watch on the silent node would hear of it only once a probe (every watchProbeIntervalMs)
  // timed out; half that interval leaves a loaded machine room without letting that pass.
  assert.ok(Date.now() - started < watchProbeIntervalMs / 2, "not after a probe of the silent node timed out");
  cluster.setSilent(0, false);
});

test("a backup reported up that does not answer: the watch settles on the primary, for good", async (t) => {
  const { cluster, client } = await setup(t);
  await waitFor(() => (cluster.calls[1]!.watchCluster ?? 0) > 0, 2_000, "the watch leaves the primary");
  cluster.stopNode(2);
  cluster.setSilent(1, true); // the primary's reports still call it a backup
  await waitFor(() => (cluster.calls[0]!.watchCluster ?? 0) > 1, 8_000, "back on the primary");
  const watches = cluster.calls[0]!.watchCluster ?? 0;
  await delay(1_500);
  assert.equal(cluster.calls[0]!.watchCluster ?? 0, watches, "kept, not left for the silent node again");
  assert.equal(client.cluster().connection.kind, "connected");
  cluster.setSilent(1, false);
});

test("a silent watched node is noticed by the probe and the watch moves on", async (t) => {
  const { cluster, client } = await setup(t);
  await waitFor(() => client.cluster().connection.kind === "connected", 2_000, "connected");
  await waitFor(() => (cluster.calls[1]!.watchCluster ?? 0) > 0, 2_000, "the watch leaves the primary");
  cluster.setSilent(1, true); // the backup watched first
  cluster.setPrimary(2);
  await waitFor(() => client.cluster().primaryId === 2, 3_500, "primary 2 seen without any call");
  assert.equal(client.cluster().nodes[1]!.reachable, false);
  cluster.setSilent(1, false);
});

test("many sends from several clients through two failovers: each committed exactly once", async (t) => {
  const cluster = await FakeCluster.start();
  t.after(() => cluster.close());
  const clients = ["a", "b", "c"].map((name) => {
    const client = connect({ cluster: cluster.clusterList, deadlineMs: 5_000 });
    t.after(() => client.close());
    return { name, client };
  });
  for (const { name, client } of clients) await client.register(name, "password");
  const acked: number[] = [];
  const senders = clients.map(async ({ name, client }, k) => {
    for (let i = 0; i < 30; i++) {
      const to = clients[(k + 1) % clients.length]!.name;
      acked.push((await client.send(to, `${name} ${i}`)).seq);
      if (i % 5 === 0) cluster.failRepliesAfterCommit += 1;
    }
  });
  await delay(30);
  cluster.stopNode(0);
  cluster.setPrimary(1);
  await delay(100);
  cluster.setSilent(1, true);
  cluster.setPrimary(2);
  await Promise.all(senders);
  const texts = cluster.messages.map((m) => m.text);
  assert.equal(texts.length, 90);
  assert.equal(new Set(texts).size, 90, "no message committed twice");
  assert.deepEqual([...acked].sort((x, y) => x - y), Array.from({ length: 90 }, (_, i) => i + 1));
  cluster.setSilent(1, false);
});
