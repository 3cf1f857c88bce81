import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterState, ConnectionState } from "../client-port.js";
import { healthyCluster } from "../testing/fake-client.js";
import { renderTui } from "../testing/render.js";
import { matchSnapshot } from "../testing/snapshot.js";
import { StatusBar } from "./status-bar.js";

const states: [string, ConnectionState][] = [
  ["connecting", { kind: "connecting" }],
  ["connected", { kind: "connected", nodeId: 1, address: "127.0.0.1:50051" }],
  ["rebinding", { kind: "rebinding", since: 0 }],
  ["offline", { kind: "offline", retryInMs: 1800, reason: "no primary" }],
  ["closed", { kind: "closed" }],
];

function failedOver(connection: ConnectionState): ClusterState {
  const c = healthyCluster(2, 3);
  return {
    ...c,
    connection,
    nodes: c.nodes.map((n) => (n.id === 1 ? { ...n, role: "down", reachable: false } : n)),
  };
}

test("status bar in each connection state, at 80 and 120 columns and narrow", () => {
  const out: string[] = [];
  for (const [name, connection] of states) {
    for (const width of [100, 80, 44]) {
      const cluster = name === "connected" ? healthyCluster() : failedOver(connection);
      const r = renderTui(<StatusBar me="alice" cluster={cluster} width={width} />);
      const f = r.frame();
      r.unmount();
      assert.ok(f.length <= width, `${name}@${width} too wide`);
      out.push(`${name}@${width}: ${f}`);
    }
  }
  matchSnapshot(import.meta.url, "status-bar-states", out.join("\n"));
  const all = out.join("\n");
  for (const text of [
    "connected to node 1 (primary)",
    "rebinding…",
    "offline: no primary · retrying in 2 s",
    "n1 DOWN",
    "epoch 3",
  ]) {
    assert.ok(all.includes(text), text);
  }
});

test("a node still loading its state says so where there is room", () => {
  const c = healthyCluster();
  const cluster: ClusterState = { ...c, nodes: c.nodes.map((n) => (n.id === 2 ? { ...n, loading: true } : n)) };
  const wide = renderTui(<StatusBar me="alice" cluster={cluster} width={120} />);
  assert.match(wide.frame(), /n2 backup \(loading\)/);
  wide.unmount();
  const narrow = renderTui(<StatusBar me="alice" cluster={cluster} width={60} />);
  assert.ok(narrow.frame().length <= 60 && !narrow.frame().includes("loading"), "dropped when narrow");
  narrow.unmount();
});
