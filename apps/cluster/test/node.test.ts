// A single node over real gRPC, driven by a plain client built from proto/: every RPC of
// DESIGN.md §5, bad input, and durability across kill -9.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { PlainClient, rejection, collectMessages, singleNode, type Plain } from "./plain-client.js";

const fixture = singleNode();
const client = fixture.client;

async function registered(name: string): Promise<PlainClient> {
  const c = client();
  const res = await c.call("Register", { username: name, password: "correct horse" });
  c.token = res.token as string;
  return c;
}

test("every RPC of the contract works from a plain proto-loader client", async () => {
  const alice = await registered("alice");
  const bob = await registered("Bob"); // stored lower-case
  const status = await alice.call("GetStatus", {}, {}, alice.cluster);
  assert.equal(status.primary_id, 0);
  assert.equal((status.nodes as Plain[])[0]!.role, "primary");

  const users = await alice.call("ListUsers", { pattern: "*", limit: 0, page_token: "" });
  assert.deepEqual((users.users as Plain[]).map((u) => u.username), ["alice", "bob"]);

  const stream = bob.subscribe(0);
  const received = collectMessages(stream, 2);
  const sent = await alice.call("SendMessage", { to: "bob", text: "hi bob 👋", client_msg_id: "m-1" });
  const again = await alice.call("SendMessage", { to: "bob", text: "hi bob 👋", client_msg_id: "m-1" });
  assert.deepEqual(again.message, sent.message, "a repeated client_msg_id returns the first message");
  await alice.call("SendMessage", { to: "bob", text: "second", client_msg_id: "m-2" });
  const events = await received;
  stream.cancel();
  assert.deepEqual(events.map((m) => m.text), ["hi bob 👋", "second"]);
  assert.ok((events[0]!.seq as number) < (events[1]!.seq as number));

  const hist = await bob.call("History", { peer: "alice", before_seq: 0, limit: 10 });
  assert.deepEqual((hist.messages as Plain[]).map((m) => m.text), ["hi bob 👋", "second"]);

  const relog = client();
  const login = await relog.call("Login", { username: "bob", password: "correct horse" });
  assert.deepEqual(login.unread, [{ peer: "alice", count: 2 }]);
  await bob.call("MarkRead", { peer: "alice", up_to_seq: events[1]!.seq as number });
  relog.token = login.token as string;
  const login2 = await client().call("Login", { username: "bob", password: "correct horse" });
  assert.deepEqual(login2.unread, []);

  await relog.call("Logout", {});
  const afterLogout = await rejection(relog.call("ListUsers", { pattern: "" }));
  assert.equal(afterLogout.code, grpc.status.UNAUTHENTICATED);

  const wrongConfirm = await rejection(bob.call("DeleteAccount", { confirm_username: "alice" }));
  assert.equal(wrongConfirm.code, grpc.status.FAILED_PRECONDITION);
  await bob.call("DeleteAccount", { confirm_username: "bob" });
  const gone = await rejection(alice.call("SendMessage", { to: "bob", text: "still there?", client_msg_id: "m-3" }));
  assert.equal(gone.code, grpc.status.NOT_FOUND);
  assert.match(gone.details, /unknown user "bob"/);

  const watch = (alice.cluster as unknown as { WatchCluster(r: Plain): grpc.ClientReadableStream<Plain> })
    .WatchCluster({});
  watch.on("error", () => undefined); // CANCELLED when we hang up below
  const first = await new Promise<Plain>((resolve) => watch.once("data", resolve));
  watch.cancel();
  assert.equal(first.primary_id, 0);
});

test("bad input gets a clear status and the node keeps serving", async () => {
  const carol = await registered("carol");
  const anon = client();
  const cases: [() => Promise<unknown>, grpc.status, RegExp][] = [
    [() => anon.call("Register", { username: "", password: "password1" }), grpc.status.INVALID_ARGUMENT, /username/],
    [() => anon.call("Register", { username: "x".repeat(33), password: "password1" }), grpc.status.INVALID_ARGUMENT, /username/],
    [() => anon.call("Register", { username: "bad name!", password: "password1" }), grpc.status.INVALID_ARGUMENT, /username/],
    [() => anon.call("Register", { username: "dave", password: "short" }), grpc.status.INVALID_ARGUMENT, /password/],
    [() => anon.call("Register", { username: "carol", password: "password1" }), grpc.status.ALREADY_EXISTS, /taken/],
    [() => anon.call("Login", { username: "nobody", password: "password1" }), grpc.status.NOT_FOUND, /unknown user/],
    [() => anon.call("Login", { username: "carol", password: "wrong password" }), grpc.status.UNAUTHENTICATED, /password/],
    [() => anon.call("ListUsers", { pattern: "" }), grpc.status.UNAUTHENTICATED, /authorization/],
    [() => carol.call("SendMessage", { to: "carol", text: "me", client_msg_id: "s1" }), grpc.status.FAILED_PRECONDITION, /yourself/],
    [() => carol.call("SendMessage", { to: "zed", text: "hi", client_msg_id: "s2" }), grpc.status.NOT_FOUND, /unknown user "zed"/],
    [() => carol.call("SendMessage", { to: "alice", text: "", client_msg_id: "s3" }), grpc.status.INVALID_ARGUMENT, /text/],
    [() => carol.call("SendMessage", { to: "alice", text: "x".repeat(4097), client_msg_id: "s4" }), grpc.status.INVALID_ARGUMENT, /text/],
    [() => carol.call("SendMessage", { to: "alice", text: "x".repeat(70_000), client_msg_id: "s5" }), grpc.status.RESOURCE_EXHAUSTED, /./],
    [() => carol.call("ListUsers", { pattern: "a".repeat(200) }), grpc.status.INVALID_ARGUMENT, /pattern/],
    [() => carol.call("SendMessage", { to: "alice", text: "hi" }, { "chat-request-id": "r".repeat(65) }), grpc.status.INVALID_ARGUMENT, /chat-request-id/],
  ];
  for (const [call, code, details] of cases) {
    const err = await rejection(call());
    assert.equal(err.code, code, `${err.details}`);
    assert.match(err.details, details);
  }
  const forged = client();
  forged.token = "A".repeat(43);
  assert.equal((await rejection(forged.call("ListUsers", { pattern: "" }))).code, grpc.status.UNAUTHENTICATED);
  const res = await carol.call("ListUsers", { pattern: "c*" });
  assert.deepEqual((res.users as Plain[]).map((u) => u.username), ["carol"]);
});

test("invalid UTF-8 on the wire is refused, not stored", async () => {
  const erin = await registered("erin");
  // SendMessageRequest{to:"erin"... } hand-encoded with an invalid UTF-8 text field.
  const to = Buffer.from("alice");
  const badText = Buffer.from([0xc3, 0x28, 0xff]);
  const frame = Buffer.concat([
    Buffer.from([0x0a, to.length]), to, Buffer.from([0x12, badText.length]), badText,
    Buffer.from([0x1a, 2]), Buffer.from("u1"),
  ]);
  const raw = new grpc.Client(fixture.cluster().addresses[0]!, grpc.credentials.createInsecure());
  const err = await new Promise<grpc.ServiceError>((resolve, reject) => raw.makeUnaryRequest(
    "/chat.v1.ChatService/SendMessage", (b: Buffer) => b, (b: Buffer) => b, frame,
    erin.metadata(), (e) => (e ? resolve(e) : reject(new Error("accepted invalid UTF-8")))))
    .finally(() => raw.close());
  assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
  const hist = await erin.call("History", { peer: "alice" });
  assert.deepEqual(hist.messages, []);
});

test("every acknowledged send survives kill -9 and restart", async () => {
  const frank = await registered("frank");
  await registered("gina");
  const acked: string[] = [];
  for (let i = 0; i < 40; i++) {
    const text = `durable ${i}`;
    await frank.call("SendMessage", { to: "gina", text, client_msg_id: `d-${i}` });
    acked.push(text);
  }
  // Fire a burst and kill the node right after the last acknowledgement arrives.
  const burst = Array.from({ length: 20 }, (_, i) =>
    frank.call("SendMessage", { to: "gina", text: `burst ${i}`, client_msg_id: `b-${i}` })
      .then(() => acked.push(`burst ${i}`), () => undefined));
  await Promise.all(burst);
  await fixture.cluster().signal(0, "SIGKILL");
  fixture.cluster().startNode(0);
  await fixture.cluster().waitForPrimary();
  const hist = await frank.call("History", { peer: "gina", limit: 500 });
  const texts = new Set((hist.messages as Plain[]).map((m) => m.text as string));
  for (const text of acked) assert.ok(texts.has(text), `lost acknowledged message "${text}"`);
  // The session token kept working across the restart (sessions are replicated state).
  const again = await frank.call("SendMessage", { to: "gina", text: "after restart", client_msg_id: "d-last" });
  assert.equal((again.message as Plain).text, "after restart");
});

test("health checking and server reflection answer (grpcurl works)", async () => {
  const protoLoader = await import("@grpc/proto-loader");
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  const healthProto = require.resolve("grpc-health-check/proto/health/v1/health.proto");
  const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync([healthProto, reflectionProto], { keepCase: true, enums: String }));
  const Health = (pkg.grpc as any).health.v1.Health as grpc.ServiceClientConstructor;
  const health = new Health(fixture.cluster().addresses[0]!, grpc.credentials.createInsecure());
  const Reflection = (pkg.grpc as any).reflection.v1.ServerReflection as grpc.ServiceClientConstructor;
  const reflection = new Reflection(fixture.cluster().addresses[0]!, grpc.credentials.createInsecure());
  try {
    const check = await new Promise<Plain>((resolve, reject) =>
      (health as any).Check({ service: "chat.v1.ChatService" }, (e: Error | null, r: Plain) => (e ? reject(e) : resolve(r))));
    assert.equal(check.status, "SERVING");
    const stream = (reflection as any).ServerReflectionInfo() as grpc.ClientDuplexStream<Plain, Plain>;
    const answer = new Promise<Plain>((resolve, reject) => {
      stream.once("data", resolve);
      stream.once("error", reject);
    });
    stream.write({ list_services: "" });
    const listed = ((await answer).list_services_response as { service: { name: string }[] }).service.map((s) => s.name);
    stream.end();
    assert.ok(listed.includes("chat.v1.ChatService"), listed.join(","));
    assert.ok(listed.includes("chat.v1.ClusterService"), listed.join(","));
    assert.ok(listed.includes("grpc.health.v1.Health"), listed.join(","));
  } finally {
    health.close();
    reflection.close();
  }
});

test("a retried mutating call (same chat-request-id) returns the first outcome (CE16)", async () => {
  const a = client();
  const first = await a.call("Register", { username: "henry", password: "password1" }, { "chat-request-id": "reg-henry" });
  const retry = client();
  const second = await retry.call("Register", { username: "henry", password: "password1" }, { "chat-request-id": "reg-henry" });
  assert.equal(second.username, "henry");
  retry.token = second.token as string;
  a.token = first.token as string;
  await retry.call("ListUsers", { pattern: "henry" }); // the retry's token works too
  const stranger = await rejection(client().call("Register", { username: "henry", password: "password1" }));
  assert.equal(stranger.code, grpc.status.ALREADY_EXISTS, "a new request for a taken name is still refused");

  await retry.call("Logout", {}, { "chat-request-id": "out-henry" });
  await retry.call("Logout", {}, { "chat-request-id": "out-henry" }); // replayed, not UNAUTHENTICATED
  await a.call("DeleteAccount", { confirm_username: "henry" }, { "chat-request-id": "del-henry" });
  await a.call("DeleteAccount", { confirm_username: "henry" }, { "chat-request-id": "del-henry" });
  const gone = await rejection(client().call("Login", { username: "henry", password: "password1" }));
  assert.equal(gone.code, grpc.status.NOT_FOUND);
});
