// Hostile input (issue 6 §3): fast-check throws random and malformed requests at every
// ChatService RPC of a real 3-node cluster through raw grpc-js calls with identity serializers
// (wrong wire types, huge and invalid-UTF-8 strings, missing fields, random tokens, metadata
// garbage), then a flood of concurrent calls. Every answer must be a proper status code (never
// INTERNAL/UNKNOWN, never a hang past the deadline), no node may crash, and after quiescing
// every node has applied the same state (equal digests at the commit index, which holds at
// least the two registrations).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { AuthResponseSchema, SendMessagesResponseSchema, fromBinary } from "@chat-tui/proto";
import { digestOf, ProcCluster } from "./proc-cluster.js";
import { sleep } from "./stats.js";

const rpcs = ["Register", "Login", "Logout", "DeleteAccount", "ListUsers", "SendMessage", "SendMessages", "History",
  "MarkRead", "Subscribe"] as const;
type Rpc = (typeof rpcs)[number];
const identity = (b: Buffer): Buffer => b;
const callDeadlineMs = 8_000;
/** Statuses that would mean a bug (or a hang) rather than an answer. */
const improper = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED, grpc.status.DATA_LOSS]);

// A minimal protobuf encoder, so fields can carry the wrong wire type.
function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

type Field = { no: number; kind: "varint"; value: bigint } | { no: number; kind: "bytes"; value: Uint8Array }
  | { no: number; kind: "fixed64"; value: Uint8Array };

function encode(fields: Field[]): Buffer {
  const out: number[] = [];
  for (const f of fields) {
    const wireType = f.kind === "varint" ? 0 : f.kind === "fixed64" ? 1 : 2;
    out.push(...varint(BigInt((f.no << 3) | wireType)));
    if (f.kind === "varint") out.push(...varint(f.value));
    else if (f.kind === "fixed64") out.push(...f.value);
    else {
      out.push(...varint(BigInt(f.value.length)));
      for (const b of f.value) out.push(b);
    }
  }
  return Buffer.from(out);
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, "utf8");
const stringBytes = fc.oneof(
  fc.constantFrom("fuzzer", "fuzzpeer", "*", "", "fuzz-password", "a", "nobody").map(utf8),
  fc.string({ maxLength: 40 }).map(utf8),
  fc.string({ unit: "binary", maxLength: 64 }).map(utf8),
  fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0xff, 0xfe, 0xc3, ...b])), // invalid UTF-8
  fc.constantFrom(4097, 20_000, 70_000).map((n) => utf8("x".repeat(n))), // over every limit
);
const field: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ no: fc.integer({ min: 1, max: 3 }), kind: fc.constant("bytes" as const), value: stringBytes }),
  fc.record({ no: fc.integer({ min: 1, max: 3 }), kind: fc.constant("varint" as const),
    value: fc.bigInt(-(2n ** 63n), 2n ** 64n - 1n) }),
  fc.record({ no: fc.integer({ min: 1, max: 40 }), kind: fc.constant("fixed64" as const),
    value: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
);
const body = fc.oneof(
  fc.array(field, { maxLength: 5 }).map(encode),
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), // not protobuf at all
  fc.constant(Buffer.alloc(0)), // every field missing
);

interface Auth {
  token: string;
}
const metadataSpec = (auth: Auth) => fc.record({
  authorization: fc.oneof(
    fc.constant(undefined), fc.constant(`Bearer ${auth.token}`), fc.constant("Bearer "),
    fc.string({ maxLength: 80 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, "")}`),
    fc.string({ maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
  ),
  requestId: fc.oneof(fc.constant(undefined), fc.uuid(),
    fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""))),
  extra: fc.array(fc.tuple(fc.stringMatching(/^[a-z0-9_.-]{1,20}$/), fc.string({ maxLength: 100 })
    .map((s) => s.replace(/[^\x20-\x7e]/g, ""))), { maxLength: 4 }),
  binary: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
});

function metadataOf(spec: {
  authorization: string | undefined; requestId: string | undefined; extra: [string, string][];
  binary: Uint8Array | undefined;
}): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of spec.extra) if (!k.endsWith("-bin") && !k.startsWith("grpc-")) md.add(k, v);
  if (spec.authorization !== undefined) md.set("authorization", spec.authorization);
  if (spec.requestId !== undefined) md.set("chat-request-id", spec.requestId);
  if (spec.binary) md.set("chat-junk-bin", Buffer.from(spec.binary));
  return md;
}

interface Answer {
  code: grpc.status;
  details: string;
  bytes?: Buffer;
}

function unary(client: grpc.Client, rpc: Rpc, req: Buffer, md: grpc.Metadata): Promise<Answer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(`/chat.v1.ChatService/${rpc}`, identity, identity, req, md,
      { deadline: Date.now() + callDeadlineMs }, (err, res) =>
        resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: "", bytes: res! }));
  });
}

/** A stream answers with a status, or with data (then we cancel it: a live stream is fine). */
function stream(client: grpc.Client, req: Buffer, md: grpc.Metadata): Promise<Answer> {
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest("/chat.v1.ChatService/Subscribe", identity, identity, req, md,
      { deadline: Date.now() + callDeadlineMs });
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      resolve(a);
      call.cancel();
    };
    call.on("data", () => done({ code: grpc.status.OK, details: "streaming" }));
    call.on("error", (err: grpc.ServiceError) => done({ code: err.code, details: err.details }));
    call.on("end", () => done({ code: grpc.status.OK, details: "ended" }));
  });
}

/**
 * SendMessages: `req` and two variants of it on one stream (the same bytes as a whole request;
 * as the `send` of an item beside `req` taken as an item; as the text of a send to a real
 * user), then half-close. Every per-send error code must be proper too; the stream's own
 * status is the answer.
 */
function sendStream(client: grpc.Client, req: Buffer, md: grpc.Metadata): Promise<Answer> {
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest("/chat.v1.ChatService/SendMessages", identity, identity, md,
      { deadline: Date.now() + callDeadlineMs });
    let perSend: Answer | undefined;
    call.on("data", (bytes: Buffer) => {
      try {
        for (const result of fromBinary(SendMessagesResponseSchema, bytes).results) {
          const code = result.error?.code;
          if (code !== undefined && improper.has(code)) perSend ??= { code, details: "a per-send error" };
        }
      } catch {
        perSend ??= { code: grpc.status.INTERNAL, details: "an answer that is not a SendMessagesResponse" };
      }
    });
    call.on("error", (err: grpc.ServiceError) => resolve(perSend ?? { code: err.code, details: err.details }));
    call.on("end", () => resolve(perSend ?? { code: grpc.status.OK, details: "ended" }));
    const item = (ref: bigint, send: Uint8Array): Uint8Array =>
      encode([{ no: 1, kind: "varint", value: ref }, { no: 2, kind: "bytes", value: send }]);
    call.write(req);
    call.write(encode([{ no: 1, kind: "bytes", value: item(7n, req) }, { no: 1, kind: "bytes", value: req }]));
    call.write(encode([{ no: 1, kind: "bytes", value: item(8n, encode([
      { no: 1, kind: "bytes", value: utf8("fuzzpeer") }, { no: 2, kind: "bytes", value: req.subarray(0, 4096) }])) }]));
    call.end();
  });
}

/** Every node's applied index and state digest, polled (≤ 10 s) until all applied `index`. */
async function appliedDigests(cluster: ProcCluster, index: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const digests = await Promise.all(cluster.ids.map((id) => digestOf(cluster.node(id).address, cluster.secret)));
    if (digests.every((d) => d?.appliedIndex === index) || Date.now() > deadline) return digests;
    await sleep(100);
  }
}

const call = (client: grpc.Client, rpc: Rpc, req: Buffer, md: grpc.Metadata): Promise<Answer> =>
  rpc === "Subscribe" ? stream(client, req, md)
    : rpc === "SendMessages" ? sendStream(client, req, md)
    : unary(client, rpc, req, md);

test("hostile requests at every ChatService RPC: proper status codes, no crash, one state", async () => {
  const cluster = await ProcCluster.start();
  const clients: grpc.Client[] = [];
  try {
    const primary = await cluster.waitForPrimary();
    const client = new grpc.Client(cluster.node(primary).address, grpc.credentials.createInsecure(),
      { "grpc.max_send_message_length": 1 << 20 });
    clients.push(client);
    const register = async (name: string): Promise<Auth> => {
      const a = await unary(client, "Register", encode([
        { no: 1, kind: "bytes", value: utf8(name) }, { no: 2, kind: "bytes", value: utf8("fuzz-password") }]),
      new grpc.Metadata());
      assert.equal(a.code, grpc.status.OK, `register ${name}: ${a.details}`);
      return { token: fromBinary(AuthResponseSchema, a.bytes!).token };
    };
    const auth = await register("fuzzer");
    await register("fuzzpeer");
    const seen = new Map<string, number>();
    await fc.assert(fc.asyncProperty(fc.constantFrom(...rpcs), body, metadataSpec(auth), async (rpc, req, spec) => {
      // Keep the shared session alive so the authenticated paths stay covered to the end.
      const keepSession = (rpc === "Logout" || rpc === "DeleteAccount") && spec.authorization?.includes(auth.token);
      const md = metadataOf(keepSession ? { ...spec, authorization: "Bearer x" } : spec);
      const answer = await call(client, rpc, req, md);
      const label = `${rpc} ${grpc.status[answer.code]}`;
      seen.set(label, (seen.get(label) ?? 0) + 1);
      if (process.env.FUZZ_VERBOSE) console.log(label, answer.details.slice(0, 100));
      assert.ok(!improper.has(answer.code), `${rpc} answered ${grpc.status[answer.code]}: ${answer.details}`);
    }), { numRuns: 300, seed: 6, endOnFailure: true });
    console.log([...seen].sort().map(([k, n]) => `${k}: ${n}`).join(", "));

    // A flood of concurrent calls on one connection, valid and not.
    const flood = await Promise.all(Array.from({ length: 400 }, (_, i) => unary(client,
      i % 2 ? "ListUsers" : "History", i % 3 ? Buffer.alloc(0) : Buffer.from([0xff, 0xff]),
      metadataOf({ authorization: `Bearer ${auth.token}`, requestId: undefined, extra: [], binary: undefined }))));
    for (const a of flood) assert.ok(!improper.has(a.code), `flood answered ${grpc.status[a.code]}: ${a.details}`);

    for (const id of cluster.ids) assert.ok(cluster.isUp(id), `node ${id} crashed\n${cluster.logs(30)}`);
    const selves = await cluster.waitConverged(30_000);
    const commitIndex = selves[0]!.commitIndex;
    assert.ok(commitIndex >= 2, `the two registrations committed (commit index ${commitIndex})`);
    // waitConverged already agrees on the indexes: what must also agree is the applied state.
    const digests = await appliedDigests(cluster, commitIndex);
    assert.ok(digests.every((d) => d?.appliedIndex === commitIndex),
      `every node applied through ${commitIndex}: ${JSON.stringify(digests)}`);
    assert.equal(new Set(digests.map((d) => d!.digest)).size, 1, `one state: ${JSON.stringify(digests)}`);
  } finally {
    for (const c of clients) c.close();
    await cluster.shutdown();
  }
});
