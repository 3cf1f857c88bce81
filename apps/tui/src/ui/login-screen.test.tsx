import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { seedChat, startHarness, type Harness } from "../testing/app-harness.js";
import { keys } from "../testing/render.js";
import { matchSnapshot } from "../testing/snapshot.js";

let h: Harness | undefined;
afterEach(() => h?.dispose());

test("login screen at 80×24: fields, mode toggle, hints, status bar", async () => {
  h = startHarness(seedChat());
  const f = await h.waitFor("Username");
  matchSnapshot(import.meta.url, "login-empty-80x24", f);
  assert.ok(f.includes("connected to node 1 (primary)"));
});

test("server errors show inline: unknown user, wrong password, username taken", async () => {
  h = startHarness(seedChat());
  await h.waitFor("Username");
  await h.write("zed", keys.tab, "password1", keys.enter);
  await h.waitFor("! unknown user");
  await h.write(
    keys.shiftTab,
    keys.ctrl("u"),
    "bob",
    keys.tab,
    keys.ctrl("u"),
    "nope-nope",
    keys.enter
  );
  const wrong = await h.waitFor("! wrong password");
  matchSnapshot(import.meta.url, "login-wrong-password", wrong);
  await h.write(keys.ctrl("t"), keys.enter);
  const taken = await h.waitFor("! username taken");
  assert.ok(taken.includes("create an account"));
  assert.ok(taken.includes("[x] create account"));
  matchSnapshot(import.meta.url, "login-username-taken", taken);
});

test("the password is masked; typing clears the error", async () => {
  h = startHarness(seedChat());
  await h.waitFor("Username");
  await h.write("bob", keys.tab, "secret", keys.enter);
  await h.waitFor("! wrong password");
  await h.write("x");
  const f = await h.waitFor((fr) => !fr.includes("wrong password"));
  assert.ok(f.includes("•••••••"));
  assert.ok(!f.includes("secret"));
});

test("after login, offline messages are summarised: 5 unread from bob, 2 from carol", async () => {
  const chat = seedChat();
  for (let i = 0; i < 5; i += 1) chat.post("bob", "alice", `bob ${i}`);
  for (let i = 0; i < 2; i += 1) chat.post("carol", "alice", `carol ${i}`);
  h = startHarness(chat);
  await h.waitFor("Username");
  await h.login("alice");
  const f = await h.waitFor(
    (fr) => fr.includes("5 unread from bob, 2 from carol") && /bob +5/.test(fr)
  );
  matchSnapshot(import.meta.url, "main-after-login-unread", f);
});
