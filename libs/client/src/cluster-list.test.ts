import { test } from "node:test";
import assert from "node:assert/strict";
import { parseClusterList, resolveClusterList } from "./cluster-list.js";
import { ChatError } from "./errors.js";

test("parseClusterList splits on commas and spaces, trims, lower-cases and de-duplicates", () => {
  assert.deepEqual(parseClusterList(" a:1, B:2 ,,a:1  c.example:65535"), ["a:1", "b:2", "c.example:65535"]);
  assert.deepEqual(parseClusterList(["127.0.0.1:50051", "127.0.0.1:50052,[::1]:7"]),
    ["127.0.0.1:50051", "127.0.0.1:50052", "[::1]:7"]);
});

test("parseClusterList rejects what is not host:port, with the entry in the message", () => {
  for (const bad of ["", " , ", "host", "host:", ":80", "h:0", "h:65536", "h:1:2", "a b:1x"]) {
    assert.throws(() => parseClusterList(bad), (err: unknown) =>
      err instanceof ChatError && err.kind === "invalid-argument", bad);
  }
  assert.throws(() => parseClusterList("h:99999"), /bad cluster address "h:99999"/);
});

test("resolveClusterList: option, else CHAT_CLUSTER, else the local cluster", () => {
  assert.deepEqual(resolveClusterList("x:1", { CHAT_CLUSTER: "y:2" }), ["x:1"]);
  assert.deepEqual(resolveClusterList(undefined, { CHAT_CLUSTER: "y:2,z:3" }), ["y:2", "z:3"]);
  assert.deepEqual(resolveClusterList(undefined, {}),
    ["127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"]);
  assert.deepEqual(resolveClusterList(undefined, { CHAT_CLUSTER: "  " }).length, 3);
});
