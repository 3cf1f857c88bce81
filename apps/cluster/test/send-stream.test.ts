// SendMessages (send-stream.ts) from a plain proto-loader client: results by ref, per-send
// errors that leave the stream open, commit order, idempotent retries, authentication, and
// requests out of bounds.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { PlainClient, collectMessages, singleNode, streamSends, type Plain } from "./plain-client.js";

const fixture = singleNode();

async function registered(name: string): Promise<PlainClient> {
  const c = fixture.client();
  const res = await c.call("Register", { username: name, password: "correct horse" });
  c.token = res.token as string;
  return c;
}

const send = (ref: number, to: string, text: string, requestId = ""): Plain =>
  ({ ref, send: { to, text, client_msg_id: `c-${ref}-${text.length}` }, request_id: requestId });

test("sends on one stream are answered by ref, refused ones alone, committed in the order sent", async () => {
  const alice = await registered("alice");
  const bob = await registered("bob");
  const inbox = collectMessages(bob.subscribe(0), 40);
  const requests = Array.from({ length: 40 }, (_, i) => send(i + 1, "bob", `text ${i}`));
  requests.splice(10, 0, send(100, "nobody", "lost"), send(101, "bob", ""), send(102, "alice", "me"),
    { ...send(103, "bob", "bad id"), request_id: "x".repeat(5_000) });
  const { answers, status } = await streamSends(alice.sendStream(), requests);
  assert.equal(status?.code, grpc.status.OK, status?.details);
  assert.equal(answers.size, requests.length, "one answer per request");
  const codes = [100, 101, 102, 103].map((ref) => (answers.get(ref)!.error as Plain).code);
  assert.deepEqual(codes, [grpc.status.NOT_FOUND, grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION,
    grpc.status.INVALID_ARGUMENT]);
  assert.match((answers.get(100)!.error as Plain).message as string, /nobody/);
  const seqs = Array.from({ length: 40 }, (_, i) => (answers.get(i + 1)!.message as Plain).seq as number);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "commit order is the order sent");
  assert.deepEqual((await inbox).map((m) => m.text), requests.filter((r) => (r.ref as number) <= 40)
    .map((r) => (r.send as Plain).text));
});

test("a send retried with its request id on a new stream returns the first message", async () => {
  const alice = await registered("carol");
  await registered("dave");
  const id = "5b0b7a4e-9f6c-4c8e-8d7e-2a1f0c3b4d5e";
  const first = await streamSends(alice.sendStream(), [send(1, "dave", "once", id)]);
  const again = await streamSends(alice.sendStream(), [send(7, "dave", "once", id)]);
  const a = first.answers.get(1)!.message as Plain;
  const b = again.answers.get(7)!.message as Plain;
  assert.deepEqual(b, a);
  const history = await alice.call("History", { peer: "dave", before_seq: 0, limit: 10 });
  assert.equal((history.messages as Plain[]).length, 1);
});

test("a stream without a valid token ends UNAUTHENTICATED; a logout mid-stream refuses later sends", async () => {
  const anonymous = fixture.client();
  const refused = await streamSends(anonymous.sendStream(), [send(1, "bob", "hi")]);
  assert.equal(refused.status?.code, grpc.status.UNAUTHENTICATED);
  assert.equal(refused.answers.size, 0);

  const erin = await registered("erin");
  await registered("frank");
  const stream = erin.sendStream();
  const before = await streamSends(stream, [send(1, "frank", "before")], { end: false });
  assert.ok(before.answers.get(1)!.message);
  await erin.call("Logout", {});
  const after = await streamSends(stream, [send(2, "frank", "after")]);
  assert.equal((after.answers.get(2)!.error as Plain).code, grpc.status.UNAUTHENTICATED);
  assert.equal(after.status?.code, grpc.status.OK);
});

test("a request with no sends or too many ends the stream INVALID_ARGUMENT", async () => {
  const gina = await registered("gina");
  await registered("hank");
  for (const count of [0, 1_025]) {
    const sends = Array.from({ length: count }, (_, i) => send(i + 1, "hank", "x"));
    const stream = gina.sendStream();
    const { status } = await new Promise<{ status: grpc.StatusObject }>((resolve) => {
      stream.on("error", () => undefined);
      stream.on("status", (s: grpc.StatusObject) => resolve({ status: s }));
      stream.write({ sends });
    });
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT, `${count} sends`);
    assert.match(status.details, /1-1024 sends/);
  }
});
