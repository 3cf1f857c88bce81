// TLS end to end (issue 8): a cluster whose client ports serve TLS and whose replica ports
// require mutual TLS. The SDK chats through it with the CA and across a kill -9 of the
// primary; a plain client, a client with the wrong CA and a certificate for another host each
// get one clear line; a replica call without a CA-signed client certificate (or without the
// secret) is refused, logged once, and changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { connect, ChatError } from "@chat-tui/client";
import { clientFor, ReplicaEnvelopeSchema, ReplicaService } from "@chat-tui/proto";
import { TestCluster } from "../src/testing/harness.js";
import { issueCertificates } from "../src/launcher/certs.js";
import { loadClusterConfig } from "../src/config.js";

async function failure(work: Promise<unknown>): Promise<ChatError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof ChatError, String(err));
    return err;
  }
  assert.fail("expected a failure");
}

test("TLS cluster: chat with the CA across a kill -9 of the primary; plain and wrong-CA clients get one line",
  () => TestCluster.with(3, { tls: true }, async (c) => {
  const elsewhere = mkdtempSync(join(tmpdir(), "chat-other-ca-"));
  try {
    const ca = readFileSync(c.caFile!);
    const alice = connect({ cluster: c.addresses, tlsCa: ca });
    const bob = connect({ cluster: c.addresses, tlsCa: c.caFile });
    await alice.register("alice", "password-a");
    await bob.register("bob", "password-b");
    const first = await alice.send("bob", "over TLS");
    const { primaryId } = await c.waitForPrimary();
    await c.signal(primaryId, "SIGKILL");
    const second = await alice.send("bob", "after the kill");
    assert.ok(second.seq > first.seq);
    const seen = await bob.history("alice");
    assert.deepEqual(seen.map((m) => m.text), ["over TLS", "after the kill"]);
    alice.close();
    bob.close();

    const plain = connect({ cluster: c.addresses, deadlineMs: 5_000 });
    const plainError = await failure(plain.login("alice", "password-a"));
    plain.close();
    assert.match(plainError.message, /speaks TLS: trust the cluster's CA/);

    issueCertificates(elsewhere, [{ id: 0, host: "127.0.0.1" }]);
    const stranger = connect({ cluster: c.addresses, tlsCa: join(elsewhere, "ca.pem"), deadlineMs: 5_000 });
    const strangerError = await failure(stranger.login("alice", "password-a"));
    stranger.close();
    assert.match(strangerError.message, /not signed by the given CA/);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
}));

test("a certificate for another host: the client's error names the host it dialled", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-wrong-host-"));
  const [node] = issueCertificates(dir, [{ id: 0, host: "198.18.0.9" }]);
  const server = tls.createServer({ cert: readFileSync(node!.tls.cert), key: readFileSync(node!.tls.key),
    ALPNProtocols: ["h2"] }, (socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const client = connect({ cluster: `127.0.0.1:${port}`, tlsCa: join(dir, "ca.pem"), deadlineMs: 5_000 });
    const err = await failure(client.login("alice", "password-a"));
    client.close();
    assert.match(err.message, /not for host 127\.0\.0\.1/);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const ReplicaClient = clientFor(ReplicaService);

/**
 * A ping from node `from` claiming epoch 99: well-formed, so a node that accepted it would see a
 * higher epoch and its primary would step down (R16). Returns the Deliver call's status.
 */
function deliver(address: string, credentials: grpc.ChannelCredentials, secret: string, from: number):
  Promise<grpc.StatusObject> {
  const client = new ReplicaClient(address, credentials);
  const metadata = new grpc.Metadata();
  metadata.set("chat-cluster-secret", secret);
  const ping = { from, storageId: "s", incarnation: "i", session: "s", epoch: 99, viewId: { epoch: 99, index: 1 },
    status: "backup", kind: "ping", nonce: "n", pauseEpoch: 0 };
  return new Promise((resolve) => {
    const stream = client.deliver(metadata, { deadline: Date.now() + 5_000 }, () => undefined);
    stream.on("status", (status: grpc.StatusObject) => {
      client.close();
      resolve(status);
    });
    stream.on("error", () => undefined);
    stream.write(create(ReplicaEnvelopeSchema, { from, to: 0, payload: Buffer.from(JSON.stringify(ping)) }));
    stream.end();
  });
}

test("mTLS replica guard: no client certificate, another CA's certificate or a wrong secret is refused, "
  + "logged once, never applied", () => TestCluster.with(3, { tls: true }, async (c) => {
  const elsewhere = mkdtempSync(join(tmpdir(), "chat-other-ca-"));
  try {
    const config = loadClusterConfig(c.configPath);
    const { primaryId, epoch } = await c.waitForPrimary();
    const target = config.nodes.find((n) => n.id === primaryId)!;
    const address = `127.0.0.1:${target.replicaPort}`;
    const ca = readFileSync(c.caFile!);
    const peer = config.nodes.find((n) => n.id !== primaryId)!;
    const own = peer.tls!;
    const send = (credentials: grpc.ChannelCredentials, secret: string) => deliver(address, credentials, secret, peer.id);
    const [foreign] = issueCertificates(elsewhere, [{ id: 7, host: "127.0.0.1" }]);

    const noCert = await send(grpc.credentials.createSsl(ca), config.secret);
    assert.equal(noCert.code, grpc.status.PERMISSION_DENIED);
    assert.match(noCert.details, /no client certificate signed by the cluster CA/);
    const again = await send(grpc.credentials.createSsl(ca), config.secret);
    assert.equal(again.code, grpc.status.PERMISSION_DENIED);
    const foreignCert = await send(grpc.credentials.createSsl(ca,
      readFileSync(foreign!.tls.key), readFileSync(foreign!.tls.cert)), config.secret);
    assert.notEqual(foreignCert.code, grpc.status.OK, "a certificate from another CA must not get in");
    const wrongSecret = await send(grpc.credentials.createSsl(ca,
      readFileSync(own.key), readFileSync(own.cert)), "not-the-secret-at-all");
    assert.equal(wrongSecret.code, grpc.status.PERMISSION_DENIED);
    assert.match(wrongSecret.details, /wrong or missing cluster secret/);

    const after = await c.waitForPrimary();
    assert.equal(after.primaryId, primaryId, "a refused step-down must not be applied");
    assert.equal(after.epoch, epoch);
    const log = readFileSync(c.node(primaryId).logFile, "utf8");
    const refusals = log.split("\n").filter((line) => line.includes("refused a replica stream"));
    assert.equal(refusals.filter((l) => l.includes("no client certificate")).length, 1, refusals.join("\n"));

    // The control: the same message with the peer's certificate and the secret is applied.
    const accepted = await send(grpc.credentials.createSsl(ca, readFileSync(own.key), readFileSync(own.cert)),
      config.secret);
    assert.equal(accepted.code, grpc.status.OK, accepted.details);
    const deadline = Date.now() + 10_000;
    while ((await c.waitForPrimary()).epoch === epoch) {
      assert.ok(Date.now() < deadline, "the accepted higher-epoch ping should have made the primary step down");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
}));
