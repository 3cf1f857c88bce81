// ReplicaTransport.sendPieces: a message too large to queue at once (a snapshot) arrives whole
// and byte-identical, sent as the stream drains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePorts } from "../testing/harness.js";
import { quietLogger } from "../logger.js";
import { nodeCredentials } from "./tls.js";
import { ReplicaTransport } from "./replica-transport.js";
import type { NodeAddress } from "../config.js";

test("a 100 MB message sent in pieces arrives whole, past the 64 MiB send queue", async (t) => {
  const ports = await freePorts(2);
  const node = (id: number): NodeAddress => ({
    id, address: `127.0.0.1:${ports[id]! + 1}`, host: "127.0.0.1", port: 0, replicaPort: ports[id]!, livenessPort: 0,
  });
  const received: Buffer[] = [];
  const make = (id: number): ReplicaTransport => new ReplicaTransport({
    self: node(id), peers: [node(1 - id)], secret: "s3cret", log: quietLogger(), credentials: nodeCredentials(undefined),
    onMessage: (_from, payload) => received.push(payload), onPeerLost: () => undefined,
  });
  const sender = make(0);
  const receiver = make(1);
  t.after(() => {
    sender.close();
    receiver.close();
  });
  await receiver.start();
  await sender.start();
  const pieces = Array.from({ length: 100 }, (_, i) => `${i % 10}`.repeat(1_000_000));
  const sent = await sender.sendPieces(1, pieces, "data");
  assert.equal(sent, true);
  const deadline = Date.now() + 30_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(received.length, 1, "one message");
  assert.equal(received[0]!.length, 100_000_000);
  assert.ok(received[0]!.equals(Buffer.from(pieces.join(""))), "byte-identical");
});
