import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterState, Message } from "../client-port.js";
import { parseKeys } from "../keys/parse-keys.js";
import { healthyCluster } from "../testing/fake-client.js";
import { appStep, initialApp, type AppAction, type AppState } from "./app.js";
import type { Effect, StepEnv } from "./effects.js";
import type { MainState } from "./main.js";

const t0 = Date.UTC(2026, 10, 24, 9, 0);
let ids = 0;
const env: StepEnv = { nowMs: t0, newId: () => `id-${++ids}` };

function run(s: AppState, ...actions: AppAction[]): [AppState, Effect[]] {
  let state = s;
  const effects: Effect[] = [];
  for (const a of actions) {
    const [next, more] = appStep(state, a, env);
    state = next;
    effects.push(...more);
  }
  return [state, effects];
}
const keys = (
  target: "login" | "users" | "filter" | "thread" | "composer" | "dialog" | "global",
  raw: string
): AppAction[] => parseKeys(raw).map((ev) => ({ type: "key", target, ev }));
const main = (s: AppState): MainState => {
  assert.equal(s.screen.kind, "main");
  return (s.screen as { main: MainState }).main;
};
const msg = (seq: number, from: string, to: string, at = t0 + seq): Message => ({
  seq,
  id: `m${seq}`,
  from,
  to,
  text: `text ${seq}`,
  sentAtMs: at,
  clientMsgId: `c${seq}`,
});

function loggedIn(unread: { peer: string; count: number }[] = []): AppState {
  const [s] = run(initialApp(healthyCluster(), { columns: 80, rows: 24 }), {
    type: "login-ok",
    session: { username: "alice", unread },
  });
  return run(s, {
    type: "users-loaded",
    pattern: "",
    users: ["alice", "bob", "carol"].map((username) => ({ username, online: true })),
  })[0];
}

test("login: Enter on username moves to password; a valid form emits one login effect", () => {
  const s0 = initialApp(healthyCluster(), { columns: 80, rows: 24 });
  const [s1] = run(s0, ...keys("login", "Alice\r"));
  assert.equal(s1.screen.kind === "login" && s1.screen.login.field, "password");
  const [s2, effects] = run(s1, ...keys("login", "secret-pw\r"));
  assert.deepEqual(effects, [
    { kind: "login", mode: "login", username: "alice", password: "secret-pw" },
  ]);
  const [s3] = run(s2, { type: "login-failed", error: "wrong password" });
  assert.equal(s3.screen.kind === "login" && s3.screen.login.error, "wrong password");
});

test("login-ok: main screen, offline notice, events started, all users searched", () => {
  const [s, effects] = run(initialApp(healthyCluster(), { columns: 80, rows: 24 }), {
    type: "login-ok",
    session: {
      username: "alice",
      unread: [
        { peer: "carol", count: 2 },
        { peer: "bob", count: 5 },
      ],
    },
  });
  assert.equal(main(s).notice?.text, "5 unread from bob, 2 from carol");
  assert.deepEqual(main(s).unread, { carol: 2, bob: 5 });
  assert.deepEqual(effects, [{ kind: "start-events" }, { kind: "search-users", pattern: "" }]);
});

test("live messages for other conversations bump unread; the open one does not", () => {
  let [s, effects] = run(loggedIn(), ...keys("users", "\r"));
  assert.equal(main(s).open, "bob");
  assert.deepEqual(effects, [{ kind: "load-history", peer: "bob", beforeSeq: undefined }]);
  [s, effects] = run(s, {
    type: "history-loaded",
    peer: "bob",
    beforeSeq: undefined,
    messages: [],
  });
  [s, effects] = run(s, {
    type: "messages-received",
    messages: [msg(1, "carol", "alice"), msg(2, "bob", "alice")],
  });
  assert.equal(main(s).unread.carol, 1);
  assert.equal(main(s).unread.bob ?? 0, 0);
  assert.deepEqual(
    effects.filter((e) => e.kind !== "bell"),
    [{ kind: "mark-read", peer: "bob", upToSeq: 2 }]
  );
});

test("replayed messages from before login are not counted twice", () => {
  const [s] = run(loggedIn([{ peer: "carol", count: 1 }]), {
    type: "messages-received",
    messages: [msg(1, "carol", "alice", t0 - 60_000)],
  });
  assert.equal(main(s).unread.carol, 1);
});

test("send: pending in the outbox, acked once (the event replay is deduplicated)", () => {
  let [s, effects] = run(loggedIn(), ...keys("users", "\r"), ...keys("composer", "hi bob\r"));
  const send = effects.find((e) => e.kind === "send");
  assert.ok(send && send.kind === "send");
  assert.equal(main(s).composer.line.text, "");
  assert.equal(main(s).outbox[0]?.status, "pending");
  const committed = { ...msg(7, "alice", "bob"), clientMsgId: send.clientMsgId, text: "hi bob" };
  [s] = run(
    s,
    { type: "messages-received", messages: [committed] },
    { type: "send-acked", clientMsgId: send.clientMsgId, message: committed }
  );
  assert.equal(main(s).outbox.length, 0);
  assert.deepEqual(
    main(s).conversations.bob?.messages.map((m) => m.seq),
    [7]
  );
});

test("a failed send keeps its text and clientMsgId; reconnecting retries it with the same id", () => {
  let [s, effects] = run(
    loggedIn(),
    ...keys("users", "\r"),
    ...keys("composer", "during failover\r")
  );
  const id = (effects.find((e) => e.kind === "send") as { clientMsgId: string }).clientMsgId;
  const offline: ClusterState = {
    ...healthyCluster(),
    connection: { kind: "offline", retryInMs: 2000, reason: "x" },
  };
  [s, effects] = run(
    s,
    { type: "send-failed", clientMsgId: id, error: "cluster unavailable", retryable: true },
    { type: "cluster-changed", cluster: offline }
  );
  assert.equal(main(s).outbox[0]?.status, "failed");
  [s, effects] = run(s, { type: "cluster-changed", cluster: healthyCluster(2, 2) });
  assert.deepEqual(effects, [
    { kind: "send", clientMsgId: id, to: "bob", text: "during failover" },
  ]);
  assert.equal(main(s).outbox[0]?.status, "pending");
});

test("the draft survives switching conversations and failures", () => {
  let [s] = run(
    loggedIn(),
    ...keys("users", "\r"),
    ...keys("composer", "half-typed"),
    ...keys("composer", "\x1b")
  );
  [s] = run(s, ...keys("thread", "\x1b"), ...keys("users", "j\r"));
  assert.equal(main(s).open, "carol");
  assert.equal(main(s).composer.line.text, "");
  [s] = run(s, ...keys("composer", "\x1b"), ...keys("thread", "\x1b"), ...keys("users", "k\r"));
  assert.equal(main(s).composer.line.text, "half-typed");
});

test("filter: typing searches with a contains pattern or the given wildcard; Esc clears", () => {
  let [s, effects] = run(loggedIn(), ...keys("users", "/"), ...keys("filter", "a*"));
  assert.deepEqual(
    effects.filter((e) => e.kind === "search-users").map((e) => (e as { pattern: string }).pattern),
    ["a*"]
  );
  [s] = run(s, {
    type: "users-loaded",
    pattern: "*b*",
    users: [{ username: "stale", online: false }],
  });
  assert.equal(main(s).users.length, 2, "a reply for an older pattern is dropped");
  [s, effects] = run(s, ...keys("filter", "\x1b"));
  assert.equal(main(s).focus, "users");
  assert.deepEqual(effects, [{ kind: "search-users", pattern: "" }]);
});

test("q quits from the panes but is text in the composer; Ctrl+C quits anywhere", () => {
  assert.deepEqual(run(loggedIn(), ...keys("users", "q"))[1], [{ kind: "quit" }]);
  const [typing, none] = run(loggedIn(), ...keys("users", "\r"), ...keys("composer", "q"));
  assert.equal(main(typing).composer.line.text, "q");
  assert.ok(!none.some((e) => e.kind === "quit"));
  assert.deepEqual(run(typing, ...keys("global", "\x03"))[1], [{ kind: "quit" }]);
});

test("delete account: must type the username; Esc cancels; success returns to login", () => {
  let [s, effects] = run(loggedIn(), ...keys("users", "D"), ...keys("dialog", "alicx\r"));
  const d = main(s).dialog;
  assert.equal(d.kind === "delete" && d.error, "type your username (alice) to confirm");
  [s, effects] = run(s, ...keys("dialog", "\x7fe\r"));
  assert.deepEqual(effects, [{ kind: "delete-account", confirmUsername: "alice" }]);
  [s, effects] = run(s, {
    type: "logged-out",
    notice: "account alice deleted",
    username: undefined,
  });
  assert.equal(s.screen.kind, "login");
  assert.deepEqual(effects, [{ kind: "stop-events" }]);
  const [c] = run(loggedIn(), ...keys("users", "D"), ...keys("dialog", "\x1b"));
  assert.equal(main(c).dialog.kind, "none");
});

test("log out asks first (y/n) and prefills the username afterwards", () => {
  let [s, effects] = run(loggedIn(), ...keys("users", "L"), ...keys("dialog", "y"));
  assert.deepEqual(effects, [{ kind: "logout" }]);
  [s] = run(s, { type: "logged-out", notice: "logged out", username: "alice" });
  assert.equal(s.screen.kind === "login" && s.screen.login.username.text, "alice");
});

test("scrolled up, new messages count below; End clears the marker and marks read", () => {
  let [s] = run(loggedIn(), ...keys("users", "\r"));
  const many = Array.from({ length: 60 }, (_, i) => msg(i + 1, "bob", "alice"));
  [s] = run(s, { type: "history-loaded", peer: "bob", beforeSeq: undefined, messages: many });
  [s] = run(s, ...keys("composer", "\x1b"), ...keys("thread", "\x1b[5~"));
  assert.equal(main(s).conversations.bob?.scroll.kind, "anchor");
  let effects: Effect[];
  [s, effects] = run(s, {
    type: "messages-received",
    messages: [msg(61, "bob", "alice", t0 + 10_000_000)],
  });
  assert.equal(main(s).conversations.bob?.newBelow, 1);
  assert.ok(!effects.some((e) => e.kind === "mark-read"), "not read while scrolled up");
  [s, effects] = run(s, ...keys("thread", "G"));
  assert.equal(main(s).conversations.bob?.newBelow, 0);
  assert.deepEqual(effects, [{ kind: "mark-read", peer: "bob", upToSeq: 61 }]);
});

test("reaching the top of a long thread asks for the page before the oldest loaded message", () => {
  let [s] = run(loggedIn(), ...keys("users", "\r"));
  const page = Array.from({ length: 200 }, (_, i) => msg(1000 + i, "bob", "alice"));
  [s] = run(s, { type: "history-loaded", peer: "bob", beforeSeq: undefined, messages: page });
  assert.equal(main(s).conversations.bob?.hasOlder, true);
  let effects: Effect[];
  [s, effects] = run(s, ...keys("composer", "\x1b"), ...keys("thread", "g"));
  assert.deepEqual(effects, [{ kind: "load-history", peer: "bob", beforeSeq: 1000 }]);
  [s, effects] = run(s, ...keys("thread", "g"));
  assert.deepEqual(effects, [], "one request at a time");
  const older = Array.from({ length: 10 }, (_, i) => msg(500 + i, "bob", "alice"));
  [s] = run(s, { type: "history-loaded", peer: "bob", beforeSeq: 1000, messages: older });
  assert.equal(main(s).conversations.bob?.messages[0]?.seq, 500);
  assert.equal(main(s).conversations.bob?.hasOlder, false);
});

test("a large replay (100,000 events in one batch) is merged quickly", () => {
  const s = loggedIn();
  const many = Array.from({ length: 100_000 }, (_, i) =>
    msg(i + 1, i % 2 ? "bob" : "alice", i % 2 ? "alice" : "bob")
  );
  const started = performance.now();
  const [next] = run(s, { type: "messages-received", messages: many });
  assert.equal(main(next).conversations.bob?.messages.length, 100_000);
  assert.ok(performance.now() - started < 1000);
});

test("login: on the mode row, Space or arrows switch log in ⇄ create account", () => {
  const s0 = initialApp(healthyCluster(), { columns: 80, rows: 24 });
  const [s1] = run(s0, ...keys("login", "\t\t "));
  assert.equal(s1.screen.kind === "login" && s1.screen.login.mode, "register");
  const [s2] = run(s1, ...keys("login", "\x1b[D"));
  assert.equal(s2.screen.kind === "login" && s2.screen.login.mode, "login");
});

test("offline countdown: ticks advance the clock the status bar counts from", () => {
  const offline: ClusterState = {
    ...healthyCluster(),
    connection: { kind: "offline", retryInMs: 2000, reason: "no primary" },
  };
  const [s] = run(loggedIn(), { type: "cluster-changed", cluster: offline });
  assert.equal(s.clusterSinceMs, t0);
  const later = appStep(s, { type: "tick" }, { ...env, nowMs: t0 + 1500 })[0];
  assert.equal(later.nowMs - later.clusterSinceMs, 1500);
});

test("Esc and a key read in one chunk (\\x1b/) act as Esc, then the key", () => {
  const [s] = run(loggedIn(), ...keys("users", "\r"), ...keys("composer", "\x1b?"));
  assert.equal(main(s).focus, "thread");
  assert.equal(main(s).dialog.kind, "help");
});
