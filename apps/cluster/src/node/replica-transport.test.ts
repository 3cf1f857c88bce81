// ReplicaTransport.sendSnapshot: a snapshot file streams to the receiver's sink in parts (never
// one buffer), byte-identical, with ordinary messages still flowing; a newer transfer
// supersedes an older one; a stream broken mid-transfer drops it on the receiving end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { freePorts } from "../testing/harness.js";
import { quietLogger } from "../logger.js";
import { nodeCredentials } from "./tls.js";
import { ReplicaTransport } from "./replica-transport.js";
import type { SnapshotSink } from "./snapshot-transfer.js";
import type { NodeAddress } from "../config.js";

const mebibyte = 1024 * 1024;

interface Inbound {
  header: string;
  parts: number;
  bytes: number;
  partBytesMax: number;
  hash: ReturnType<typeof createHash>;
  ended: boolean;
  aborted: string | undefined;
}

async function pair(t: { after(fn: () => void): void }) {
  const ports = await freePorts(2);
  const node = (id: number): NodeAddress => ({
    id, address: `127.0.0.1:${ports[id]! + 1}`, host: "127.0.0.1", port: 0, replicaPort: ports[id]!, livenessPort: 0,
  });
  const messages: string[] = [];
  const inbound: Inbound[] = [];
  const sink = (header: Uint8Array): SnapshotSink => {
    const at: Inbound = { header: Buffer.from(header).toString(), parts: 0, bytes: 0,
      partBytesMax: 0, hash: createHash("sha256"), ended: false, aborted: undefined };
    inbound.push(at);
    return {
      write: async (chunk) => {
        at.parts++;
        at.bytes += chunk.length;
        at.partBytesMax = Math.max(at.partBytesMax, chunk.length);
        at.hash.update(chunk);
        return undefined;
      },
      end: async () => {
        at.ended = true;
      },
      abort: async (reason) => {
        at.aborted = reason;
      },
    };
  };
  const make = (id: number): ReplicaTransport => new ReplicaTransport({
    self: node(id), peers: [node(1 - id)], secret: "s3cret", log: quietLogger(), credentials: nodeCredentials(undefined),
    onMessage: (_from, payload) => messages.push(payload.toString()), onPeerLost: () => undefined,
    onSnapshot: async (_from, header) => sink(header),
  });
  const sender = make(0);
  const receiver = make(1);
  t.after(() => {
    sender.close();
    receiver.close();
  });
  await receiver.start();
  await sender.start();
  return { sender, messages, inbound };
}

/** `count` parts of `partBytes`, made as they are read, and the hash of all of them. */
function file(count: number, partBytes: number, onPart?: (i: number) => void) {
  const hash = createHash("sha256");
  for (let i = 0; i < count; i++) hash.update(Buffer.alloc(partBytes, i % 251));
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < count; i++) {
      onPart?.(i);
      yield Buffer.alloc(partBytes, i % 251);
    }
  }
  return { chunks: chunks(), digest: hash.digest("hex") };
}

async function until(what: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a 100 MiB snapshot streams in 1 MiB parts, byte-identical, messages flow too", async (t) => {
  const { sender, messages, inbound } = await pair(t);
  const { chunks, digest } = file(100, mebibyte, (i) => {
    if (i === 50) sender.send(1, Buffer.from("{\"mid\":true}"), "data");
  });
  assert.equal(await sender.sendSnapshot(1, Buffer.from("{\"begin\":1}"), chunks), true);
  await until(() => inbound[0]?.ended === true);
  const [got] = inbound;
  assert.equal(got!.header, "{\"begin\":1}");
  assert.equal(got!.parts, 100, "one part per chunk: never reassembled");
  assert.equal(got!.partBytesMax, mebibyte);
  assert.equal(got!.bytes, 100 * mebibyte);
  assert.equal(got!.hash.digest("hex"), digest, "byte-identical");
  assert.equal(got!.aborted, undefined);
  assert.deepEqual(messages, ["{\"mid\":true}"], "an ordinary message between the parts arrives");
});

test("a newer transfer supersedes an older one; a broken stream drops the transfer", async (t) => {
  const { sender, inbound } = await pair(t);
  let second: Promise<boolean> | undefined;
  const older = file(20, 64 * 1024, (i) => {
    if (i === 5) second = sender.sendSnapshot(1, Buffer.from("newer"), file(3, 1_000).chunks);
  });
  const superseded = await sender.sendSnapshot(1, Buffer.from("older"), older.chunks);
  assert.equal(superseded, false, "superseded");
  assert.equal(await second, true);
  await until(() => inbound.length === 2 && inbound[1]!.ended);
  assert.ok(inbound[0]!.aborted !== undefined && !inbound[0]!.ended, "the older one is dropped");
  assert.equal(inbound[1]!.bytes, 3_000);

  const broken = file(50, 64 * 1024, (i) => {
    if (i === 10) sender.reset(1);
  });
  assert.equal(await sender.sendSnapshot(1, Buffer.from("broken"), broken.chunks), false);
  await until(() => inbound.length === 3 && inbound[2]!.aborted !== undefined);
  assert.equal(inbound[2]!.ended, false, "never handed on");
});
