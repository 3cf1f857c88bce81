import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  ClusterService,
  ClusterStatusSchema,
  ChatService,
  EventSchema,
  GetStatusRequestSchema,
  SendMessageRequestSchema,
  WatchClusterRequestSchema,
  type ClusterStatus,
} from "./index.js";
import { addService, clientFor, grpcServiceDefinition, type ServiceImpl } from "./grpc-adapter.js";

test("service definition has one method per RPC with grpc paths and stream flags", () => {
  const def = grpcServiceDefinition(ChatService);
  assert.deepEqual(Object.keys(def).sort(), [
    "deleteAccount", "history", "listUsers", "login", "logout", "markRead", "register",
    "sendMessage", "sendMessages", "subscribe",
  ]);
  assert.equal(def.sendMessage!.path, "/chat.v1.ChatService/SendMessage");
  assert.equal(def.sendMessages!.requestStream, true);
  assert.equal(def.sendMessages!.responseStream, true);
  assert.equal(def.subscribe!.responseStream, true);
  assert.equal(def.subscribe!.requestStream, false);
  assert.equal(def.login!.responseStream, false);
});

test("unary and server-streaming calls round-trip over real grpc-js", async (t) => {
  const server = new grpc.Server();
  const impl: ServiceImpl<typeof ClusterService.method> = {
    getStatus(_call, callback) {
      callback(null, create(ClusterStatusSchema, {
        epoch: 7n, primaryId: 2, reporterId: 1,
        nodes: [{ id: 2, address: "127.0.0.1:1", role: "primary", epoch: 7n, inView: true }],
      }));
    },
    watchCluster(call) {
      for (let i = 1n; i <= 3n; i++) call.write(create(ClusterStatusSchema, { epoch: i }));
      call.end();
    },
    recover(_call, callback) {
      callback({ code: grpc.status.UNIMPLEMENTED });
    },
  };
  addService(server, ClusterService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p)));
  t.after(() => server.forceShutdown());

  const Client = clientFor(ClusterService);
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const status = await new Promise<ClusterStatus>((resolve, reject) =>
    client.getStatus(create(GetStatusRequestSchema), new grpc.Metadata(), {}, (err, res) =>
      err || !res ? reject(err) : resolve(res)));
  assert.equal(status.epoch, 7n);
  assert.equal(status.nodes[0]!.role, "primary");

  const epochs: bigint[] = [];
  for await (const s of client.watchCluster(create(WatchClusterRequestSchema))) {
    epochs.push((s as ClusterStatus).epoch);
  }
  assert.deepEqual(epochs, [1n, 2n, 3n]);
});

test("an unimplemented RPC is reported as UNIMPLEMENTED, never a crash", async (t) => {
  const server = new grpc.Server();
  // Deliberately untyped: grpc-js fills in a default handler for what is missing.
  server.addService(grpcServiceDefinition(ChatService), {});
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p)));
  t.after(() => server.forceShutdown());
  const client = new (clientFor(ChatService))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const err = await new Promise<grpc.ServiceError>((resolve) =>
    client.sendMessage(create(SendMessageRequestSchema), new grpc.Metadata(), {}, (e) =>
      resolve(e!)));
  assert.equal(err.code, grpc.status.UNIMPLEMENTED);
});

test("the Event oneof and uint64 fields survive binary encoding", async () => {
  const { toBinary, fromBinary } = await import("@bufbuild/protobuf");
  const ev = create(EventSchema, {
    event: { case: "message", value: { seq: 2n ** 64n - 1n, from: "alice", to: "bob", text: "hi 👋" } },
  });
  const back = fromBinary(EventSchema, toBinary(EventSchema, ev));
  assert.equal(back.event.case, "message");
  assert.equal(back.event.case === "message" && back.event.value.seq, 2n ** 64n - 1n);
  assert.equal(back.event.case === "message" && back.event.value.text, "hi 👋");
});

test("a request that is not valid protobuf reaches the handler marked undecodable", async (t) => {
  const { isUndecodable } = await import("./grpc-adapter.js");
  const def = grpcServiceDefinition(ChatService);
  // Field 2 (text) with invalid UTF-8 bytes.
  const bad = Buffer.from([0x12, 0x02, 0xc3, 0x28]);
  const decoded = def.sendMessage!.requestDeserialize(bad) as object;
  assert.equal(isUndecodable(decoded), true);
  const good = def.sendMessage!.requestDeserialize(Buffer.from([0x12, 0x02, 0x68, 0x69])) as object;
  assert.equal(isUndecodable(good), false);
  t.diagnostic("invalid UTF-8 → empty message + mark, never an exception inside grpc-js");
});
