import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeChat, type FakeChatError } from "./fake-client.js";

test("fake: register/login errors carry the SDK's kinds", async () => {
  const chat = new FakeChat().addUser("bob");
  const c = chat.connect();
  await assert.rejects(
    c.login("zed", "password1"),
    (e: FakeChatError) => e.kind === "unknown-user"
  );
  await assert.rejects(
    c.login("bob", "wrong-pass"),
    (e: FakeChatError) => e.kind === "wrong-password"
  );
  await assert.rejects(
    c.register("bob", "password1"),
    (e: FakeChatError) => e.kind === "username-taken"
  );
  const s = await c.register("alice", "password1");
  assert.equal(s.username, "alice");
  assert.equal(c.username, "alice");
});

test("fake: send is idempotent per clientMsgId; events replay then go live; wildcard search", async () => {
  const chat = new FakeChat().addUser("bob").addUser("alice").addUser("albert");
  const c = chat.connect();
  await c.login("alice", "password1");
  chat.post("bob", "alice", "before");
  const a = await c.send("bob", "hi", { clientMsgId: "k1" });
  const b = await c.send("bob", "hi", { clientMsgId: "k1" });
  assert.equal(a.seq, b.seq);
  const abort = new AbortController();
  const it = c.events({ signal: abort.signal });
  assert.equal((await it.next()).value?.text, "before");
  assert.equal((await it.next()).value?.text, "hi");
  const live = it.next();
  chat.post("bob", "alice", "live");
  assert.equal((await live).value?.text, "live");
  abort.abort();
  assert.equal((await it.next()).done, true);
  const found = await c.listUsers("al*");
  assert.deepEqual(
    found.users.map((u) => u.username),
    ["albert", "alice"]
  );
  await assert.rejects(c.send("alice", "me"), (e: FakeChatError) => e.kind === "self-send");
});
