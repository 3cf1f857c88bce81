import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type { AppAction } from "../state/app.js";
import { FakeChat } from "../testing/fake-client.js";
import { EffectRunner, usersRefreshMs } from "./effect-runner.js";

function setup() {
  const chat = new FakeChat().addUser("alice").addUser("bob");
  const client = chat.connect();
  const actions: AppAction[] = [];
  let quits = 0;
  const runner = new EffectRunner(client, (a) => actions.push(a), { onQuit: () => (quits += 1) });
  const next = async (type: AppAction["type"]): Promise<AppAction> => {
    for (let i = 0; i < 200; i += 1) {
      const found = actions.find((a) => a.type === type);
      if (found) {
        actions.splice(actions.indexOf(found), 1);
        return found;
      }
      await new Promise((go) => setTimeout(go, 5));
    }
    throw new Error(`no ${type} among ${actions.map((a) => a.type).join(", ")}`);
  };
  return { chat, client, runner, next, quits: () => quits };
}

test("login outcomes and errors become actions with readable text", async () => {
  const { runner, next } = setup();
  runner.perform([{ kind: "login", mode: "login", username: "alice", password: "nope-nope" }]);
  assert.deepEqual(await next("login-failed"), { type: "login-failed", error: "wrong password" });
  runner.perform([{ kind: "login", mode: "login", username: "alice", password: "password1" }]);
  const ok = await next("login-ok");
  assert.equal(ok.type === "login-ok" && ok.session.username, "alice");
  runner.dispose();
});

test("events are batched into messages-received; sends are acked or failed (retryable)", async () => {
  const { chat, client, runner, next } = setup();
  await client.login("alice", "password1");
  chat.post("bob", "alice", "one");
  chat.post("bob", "alice", "two");
  runner.perform([{ kind: "start-events" }]);
  const batch = await next("messages-received");
  assert.deepEqual(batch.type === "messages-received" && batch.messages.map((m) => m.text), [
    "one",
    "two",
  ]);
  runner.perform([{ kind: "send", clientMsgId: "k1", to: "bob", text: "hi" }]);
  const acked = await next("send-acked");
  assert.equal(acked.type === "send-acked" && acked.message.clientMsgId, "k1");
  chat.failNext("send", "unavailable");
  runner.perform([{ kind: "send", clientMsgId: "k2", to: "bob", text: "later" }]);
  assert.deepEqual(await next("send-failed"), {
    type: "send-failed",
    clientMsgId: "k2",
    error: "cluster unavailable",
    retryable: true,
  });
  runner.dispose();
});

test("search is debounced: only the last pattern is asked for", async () => {
  const { chat, client, runner, next } = setup();
  await client.login("alice", "password1");
  runner.perform([{ kind: "search-users", pattern: "a" }]);
  runner.perform([{ kind: "search-users", pattern: "b*" }]);
  const loaded = await next("users-loaded");
  assert.equal(loaded.type === "users-loaded" && loaded.pattern, "b*");
  assert.equal(chat.calls.filter((c) => c.method === "listUsers").length, 1);
  runner.dispose();
});

test("logout stops the event stream first, then reports logged-out; quit calls onQuit", async () => {
  const { client, runner, next, quits } = setup();
  await client.login("alice", "password1");
  runner.perform([{ kind: "start-events" }, { kind: "logout" }]);
  const out = await next("logged-out");
  assert.deepEqual(out, { type: "logged-out", notice: "logged out", username: "alice" });
  runner.perform([{ kind: "quit" }]);
  assert.equal(quits(), 1);
  runner.dispose();
});

test("the user list follows nextPageToken across pages", async () => {
  const { chat, client, runner, next } = setup();
  for (let i = 0; i < 1200; i += 1) chat.addUser(`user${String(i).padStart(4, "0")}`);
  await client.login("alice", "password1");
  runner.perform([{ kind: "search-users", pattern: "user*" }]);
  const loaded = await next("users-loaded");
  assert.equal(loaded.type === "users-loaded" && loaded.users.length, 1200);
  assert.equal(chat.calls.filter((c) => c.method === "listUsers").length, 3);
  runner.dispose();
});

test("user-list refreshes never overlap: a tick while one runs is skipped", async () => {
  const { chat, client, runner, next } = setup();
  await client.login("alice", "password1");
  // Every listUsers call waits until the test lets it go.
  const waiting: (() => void)[] = [];
  const listUsers = client.listUsers.bind(client);
  client.listUsers = async (...args) => {
    await new Promise<void>((go) => waiting.push(go));
    return listUsers(...args);
  };
  const inFlight = (): number => waiting.length;
  mock.timers.enable({ apis: ["setInterval"] });
  try {
    runner.perform([{ kind: "start-events" }]);
    mock.timers.tick(usersRefreshMs);
    assert.equal(inFlight(), 1);
    mock.timers.tick(3 * usersRefreshMs); // a slow refresh outlasts three more ticks
    assert.equal(inFlight(), 1, "no second refresh while the first runs");
    waiting.shift()!();
    assert.equal((await next("users-loaded")).type, "users-loaded");
    mock.timers.tick(usersRefreshMs);
    assert.equal(inFlight(), 1, "the next tick after it ends refreshes again");
    // A new pattern while a refresh runs is fetched once, right after it.
    runner.perform([{ kind: "search-users", pattern: "b*" }]);
    await new Promise((go) => setTimeout(go, 200)); // past the (real) debounce
    assert.equal(inFlight(), 1);
    waiting.shift()!();
    while (inFlight() === 0) await new Promise((go) => setTimeout(go, 5));
    waiting.shift()!();
    const loaded = await next("users-loaded");
    assert.equal(loaded.type === "users-loaded" && loaded.pattern, "b*");
    assert.equal(chat.calls.filter((c) => c.method === "listUsers").length, 3);
  } finally {
    mock.timers.reset();
    runner.dispose();
  }
});
