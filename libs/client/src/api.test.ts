// The public API is a contract (apps/tui is built against it): names and shapes held here.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as api from "./index.js";
import type {
  ChatClient,
  ChatErrorKind,
  ClusterState,
  ConnectionState,
  ConnectOptions,
  Message,
  NodeRole,
  NodeState,
  Session,
  UserEntry,
} from "./index.js";

test("the package exports exactly its API", () => {
  assert.deepEqual(Object.keys(api).sort(),
    ["ChatError", "connect", "describeError", "parseClusterList", "resolveClusterList"]);
});

test("the exported types keep their shapes", () => {
  const options: Required<ConnectOptions> = {
    cluster: ["h:1"], deadlineMs: 1, attemptTimeoutMs: 1, tlsCa: "ca.pem", sendStream: true,
  };
  const message: Message = { seq: 1, id: "", from: "", to: "", text: "", sentAtMs: 0, clientMsgId: "" };
  const session: Session = { username: "a", unread: [{ peer: "b", count: 1 }] };
  const user: UserEntry = { username: "a", online: true };
  const role: NodeRole = "recovering";
  const node: NodeState = {
    id: 0, address: "h:1", role, epoch: 0, commitIndex: 0, lastIndex: 0, inView: true, loading: false,
    reachable: true,
  };
  const connections: ConnectionState[] = [
    { kind: "connecting" }, { kind: "connected", nodeId: 0, address: "h:1" },
    { kind: "rebinding", since: 0 }, { kind: "offline", retryInMs: 1, reason: "" }, { kind: "closed" },
  ];
  const state: ClusterState = { epoch: 0, primaryId: undefined, nodes: [node], connection: connections[0]! };
  const kinds: ChatErrorKind[] = ["invalid-argument", "unknown-user", "username-taken", "wrong-password",
    "unauthenticated", "not-allowed", "self-send", "rate-limited", "unavailable", "closed", "internal"];
  const methods: (keyof ChatClient)[] = ["register", "login", "logout", "deleteAccount", "listUsers",
    "send", "history", "markRead", "events", "cluster", "onChange", "username", "close"];
  assert.ok(options && message && session && user && state && kinds.length === 11);
  const client = api.connect({ cluster: "127.0.0.1:1", deadlineMs: 100 });
  for (const method of methods) assert.ok(method in client, method);
  assert.equal(client.username, undefined);
  client.close();
  assert.ok(new api.ChatError("closed", "client closed") instanceof Error);
});
