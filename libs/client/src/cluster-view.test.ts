import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterView, type ClusterState } from "./cluster-view.js";
import type { StatusReport } from "./codec.js";

const seeds = ["h:1", "h:2", "h:3"];

function report(epoch: number, primaryId: number | undefined, down: number[] = []): StatusReport {
  return {
    epoch, primaryId, reporterId: 0,
    nodes: seeds.map((address, id) => ({
      id, address, epoch, commitIndex: 0, lastIndex: 0, inView: !down.includes(id), loading: false,
      role: down.includes(id) ? "down" : id === primaryId ? "primary" : "backup",
    })),
  };
}

function recorder(view: ClusterView): ClusterState[] {
  const seen: ClusterState[] = [];
  view.onChange((s) => seen.push(s));
  return seen;
}

test("starts connecting, with the seeds as unknown nodes numbered in order", () => {
  const view = new ClusterView(seeds);
  const s = view.state();
  assert.deepEqual(s.connection, { kind: "connecting" });
  assert.equal(s.primaryId, undefined);
  assert.deepEqual(s.nodes.map((n) => [n.id, n.address, n.role, n.reachable]),
    [[0, "h:1", "unknown", false], [1, "h:2", "unknown", false], [2, "h:3", "unknown", false]]);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.nodes[0]));
});

test("connecting → connected → rebinding → connected, a new object per change only", () => {
  let now = 1_000;
  const view = new ClusterView(seeds, () => now);
  const seen = recorder(view);
  view.adoptStatus(report(1, 0), "h:2");
  assert.deepEqual(view.state().connection, { kind: "connected", nodeId: 0, address: "h:1" });
  assert.equal(view.state().primaryId, 0);
  const before = view.state();
  view.adoptStatus(report(1, 0), "h:2");
  assert.equal(view.state(), before, "same facts, same snapshot object");
  now = 2_000;
  view.noteFailure("h:1");
  assert.deepEqual(view.state().connection, { kind: "rebinding", since: 2_000 });
  assert.equal(view.primary(), undefined);
  now = 2_500;
  view.noteRedirect("h:3", "h:2", 2);
  assert.deepEqual(view.state().connection, { kind: "rebinding", since: 2_000 }, "since is kept");
  assert.equal(view.primary(), "h:2", "the hint is where the next attempt goes");
  view.noteSuccess("h:2", 2);
  assert.deepEqual(view.state().connection, { kind: "connected", nodeId: 1, address: "h:2" });
  const kinds = seen.map((s) => s.connection.kind).filter((k, i, a) => a[i - 1] !== k);
  assert.deepEqual(kinds, ["connected", "rebinding", "connected"]);
});

test("answers and redirects from a lower epoch are ignored", () => {
  const view = new ClusterView(seeds);
  view.adoptStatus(report(5, 2), "h:3");
  assert.equal(view.adoptStatus(report(4, 0), "h:1"), false);
  assert.equal(view.primary(), "h:3");
  view.noteRedirect("h:2", "h:1", 3);
  assert.equal(view.primary(), "h:3", "a stale redirect does not move the primary");
  assert.equal(view.noteSuccess("h:1", 4), false, "a stale success is not an answer");
  assert.equal(view.noteSuccess("h:3", 5), true);
  assert.equal(view.noteSuccess("h:3", undefined), true, "no epoch metadata: accepted");
  assert.equal(view.state().epoch, 5);
  assert.equal(view.noteSuccess("h:3", 4), false, "the primary itself answering from an old epoch");
  assert.equal(view.primary(), undefined, "… is no longer where calls go");
});

test("a newer epoch without a primary means rebinding; roles and reachability are shown", () => {
  const view = new ClusterView(seeds);
  view.adoptStatus(report(1, 0), "h:1");
  view.adoptStatus(report(2, undefined, [0]), "h:2");
  const s = view.state();
  assert.equal(s.connection.kind, "rebinding");
  assert.equal(s.primaryId, undefined);
  assert.deepEqual(s.nodes.map((n) => n.role), ["down", "backup", "backup"]);
  assert.deepEqual(s.nodes.map((n) => n.reachable), [true, true, false]);
});

test("offline, then closed is final and listeners stop", () => {
  const view = new ClusterView(seeds);
  const seen = recorder(view);
  view.noteOffline(100, "connect ECONNREFUSED");
  assert.deepEqual(view.state().connection, { kind: "offline", retryInMs: 100, reason: "connect ECONNREFUSED" });
  view.close();
  view.adoptStatus(report(1, 0), "h:1");
  assert.deepEqual(view.state().connection, { kind: "closed" });
  assert.deepEqual(seen.map((s) => s.connection.kind), ["offline", "closed"]);
});

test("addresses learned from the cluster are added, up to the bound", () => {
  const view = new ClusterView(["h:1"]);
  view.noteRedirect("h:1", "h:9", undefined);
  assert.deepEqual(view.addresses(), ["h:1", "h:9"]);
  assert.equal(view.primary(), "h:9");
  for (let i = 0; i < 40; i++) view.noteRedirect("h:1", `x:${i + 1}`, undefined);
  assert.equal(view.addresses().length, 16);
});

test("our primary listed down: a member of the view's report rebinds, a restarting node's does not", () => {
  const view = new ClusterView(seeds);
  view.adoptStatus(report(1, 0), "h:1");
  assert.deepEqual(view.state().connection, { kind: "connected", nodeId: 0, address: "h:1" });
  // Node 2 just restarted: not in the view yet, it calls every peer down until it hears them.
  const allDown = report(1, undefined, [0, 1]);
  const restarting: StatusReport = {
    ...allDown, reporterId: 2,
    nodes: allDown.nodes.map((n) => (n.id === 2 ? { ...n, role: "recovering", inView: false } : n)),
  };
  view.adoptStatus(restarting, "h:3");
  assert.equal(view.state().primaryId, 0, "kept");
  assert.equal(view.state().connection.kind, "connected");
  // Backup 1, in the view, saw node 0 die (same epoch, no primary named yet).
  view.adoptStatus({ ...report(1, undefined, [0]), reporterId: 1 }, "h:2");
  assert.equal(view.state().primaryId, undefined);
  assert.equal(view.state().connection.kind, "rebinding");
});

test("a report that names a primary it lists as down names none", () => {
  const view = new ClusterView(seeds);
  view.adoptStatus(report(1, 0), "h:1");
  view.adoptStatus({ ...report(1, 0, [0]), reporterId: 1 }, "h:2");
  assert.equal(view.state().primaryId, undefined);
  assert.equal(view.state().connection.kind, "rebinding");
});
