import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseClusterConfig, renderClusterConfig } from "./config.js";

const secret = "0123456789abcdef0123";

test("TLS paths resolve against the file's folder; ca defaults to the top-level one", () => {
  const config = parseClusterConfig(JSON.stringify({
    secret, tls: { ca: "tls/ca.pem" },
    nodes: [
      { id: 0, address: "198.18.0.1:50051", tls: { cert: "tls/n0.pem", key: "tls/n0.key" } },
      { id: 1, address: "198.18.0.2:50051",
        tls: { cert: "/abs/n1.pem", key: "/abs/n1.key", ca: "other-ca.pem" } },
    ],
  }), "/etc/chat/cluster.json");
  assert.equal(config.tls, true);
  assert.deepEqual(config.nodes[0]!.tls,
    { cert: "/etc/chat/tls/n0.pem", key: "/etc/chat/tls/n0.key", ca: "/etc/chat/tls/ca.pem" });
  assert.equal(config.nodes[1]!.tls!.ca, "/etc/chat/other-ca.pem");
  const again = parseClusterConfig(renderClusterConfig(config, "/etc/chat"), "/etc/chat/cluster.json");
  assert.deepEqual(again.nodes, config.nodes);
});

test("TLS is all or nothing: a node without its files is a clear config error", () => {
  assert.throws(() => parseClusterConfig(JSON.stringify({
    secret, tls: { ca: "ca.pem" },
    nodes: [{ id: 0, address: "h:1", tls: { cert: "c.pem", key: "k.pem" } }, { id: 1, address: "h:2" }],
  }), "/x/cluster.json"),
  (err: unknown) => err instanceof ConfigError && /node 1: tls\.cert must name a PEM file/.test(err.message));
  const plain = parseClusterConfig(JSON.stringify({ secret, nodes: [{ id: 0, address: "h:1" }] }), "/x/c.json");
  assert.equal(plain.tls, false);
  assert.equal(plain.nodes[0]!.tls, undefined);
});

test("limits may be overridden per deployment; bad values are a clear error", () => {
  const config = parseClusterConfig(JSON.stringify({
    secret, nodes: [{ id: 0, address: "h:1" }], limits: { sendsPerUserPerSec: 50 },
  }), "/x/c.json");
  assert.deepEqual(config.limits, { sendsPerUserPerSec: 50 });
  assert.throws(() => parseClusterConfig(JSON.stringify({
    secret, nodes: [{ id: 0, address: "h:1" }], limits: { sendBurstPerUser: -1 },
  }), "/x/c.json"), /limits\.sendBurstPerUser must be a positive integer/);
  const parts = (snapshotPartBytes: number) => parseClusterConfig(JSON.stringify({
    secret, nodes: [{ id: 0, address: "h:1" }], limits: { snapshotPartBytes },
  }), "/x/c.json");
  assert.equal(parts(1_024).limits?.snapshotPartBytes, 1_024);
  assert.throws(() => parts(64 * 1024 * 1024), /limits\.snapshotPartBytes must be at most/);
});
