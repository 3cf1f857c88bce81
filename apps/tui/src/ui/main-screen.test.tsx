import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { clock, seedChat, startHarness, type Harness } from "../testing/app-harness.js";
import { keys } from "../testing/render.js";
import { matchSnapshot } from "../testing/snapshot.js";

let h: Harness | undefined;
afterEach(() => h?.dispose());

async function loggedIn(columns = 80, rows = 24): Promise<Harness> {
  const chat = seedChat();
  chat.users.get("anna")!.sessions = 1; // online
  h = startHarness(chat, columns, rows);
  await h.waitFor("Username");
  await h.login("alice");
  await h.waitFor("carol");
  return h;
}

test("user list: / filters as you type with a * wildcard", async () => {
  const h = await loggedIn();
  await h.write("/", "a*");
  const f = await h.waitFor((fr) => fr.includes("/ a*") && !fr.includes("bob"));
  matchSnapshot(import.meta.url, "users-filtered-a-star", f);
  assert.ok(f.includes("albert") && f.includes("anna"));
  await h.write(keys.backspace, keys.backspace, "*o*");
  await h.waitFor((fr) => fr.includes("bob") && fr.includes("carol") && !fr.includes("anna"));
  await h.write(keys.escape);
  await h.waitFor((fr) => fr.includes("/ filter users") && fr.includes("anna"));
});

test("open a conversation, send: pending until acked, then shown once; live replies append", async () => {
  const h = await loggedIn();
  h.chat.holdSends();
  await h.write("j", "j", keys.enter); // albert, anna, bob
  await h.waitFor("bob · offline");
  await h.write("hello bob 👋", keys.enter);
  await h.waitFor((fr) => fr.includes("alice … hello bob 👋"));
  h.chat.releaseSends();
  await h.waitFor((fr) => fr.includes("alice │ hello bob 👋"));
  clock.ms += 60_000;
  h.chat.post("bob", "alice", "hi alice, 你好!");
  const f = await h.waitFor("hi alice, 你好!");
  matchSnapshot(import.meta.url, "conversation-live", f);
  assert.equal(f.match(/hello bob/g)?.length, 1);
  assert.equal(h.chat.reads.get("alice|bob"), 2, "viewed messages are marked read");
});

test("a message for another conversation bumps its unread badge", async () => {
  const h = await loggedIn();
  await h.write(keys.enter); // albert
  await h.waitFor("albert · offline");
  clock.ms += 1000;
  h.chat.post("carol", "alice", "psst");
  await h.waitFor((fr) => /carol +1/.test(fr));
});

test("a failed send is marked, keeps its text, and r retries it once", async () => {
  const h = await loggedIn();
  await h.write(keys.enter);
  await h.waitFor("albert · offline");
  h.chat.failNext("send", "unavailable");
  await h.write("try this", keys.enter);
  await h.waitFor("! not sent (cluster unavailable)");
  await h.write(keys.escape, "r");
  await h.waitFor((fr) => /alice +│ try this/.test(fr) && !fr.includes("not sent"));
  assert.equal(h.chat.messages.filter((m) => m.text === "try this").length, 1);
});

test("composer: text and Enter in one chunk sends; pasted lines are inserted, not sent", async () => {
  const h = await loggedIn();
  await h.write(keys.enter);
  await h.waitFor("albert · offline");
  await h.write("fast typing\r");
  await h.waitFor((fr) => /alice +│ fast typing/.test(fr));
  await h.write("line one\rline two\rline three");
  const f = await h.waitFor("> line one");
  matchSnapshot(import.meta.url, "composer-pasted-lines", f.split("\n").slice(-6).join("\n"));
  assert.ok(f.includes("  line two") && f.includes("  line three"));
  assert.equal(h.chat.messages.filter((m) => m.text.startsWith("line")).length, 0);
  await h.write(keys.ctrl("u"));
  await h.write("\x1b[200~pasted\r\x1b[201~");
  await h.waitFor("> pasted");
  await h.write(keys.ctrl("a"), "X", keys.ctrl("e"), "!!", keys.backspace, keys.left, keys.delete);
  await h.waitFor("> Xpasted");
  await h.write(keys.ctrl("w"), "again", keys.enter);
  await h.waitFor((fr) => /alice +│ again/.test(fr));
  await h.write(keys.up);
  await h.waitFor("> again");
});

test("help overlay lists every key and closes with Esc", async () => {
  const h = await loggedIn();
  await h.write("?");
  const f = await h.waitFor("Keys — Esc or ? closes");
  matchSnapshot(import.meta.url, "help-overlay-80x24", f);
  assert.ok(f.includes("(19/"));
  await h.write(keys.pageDown);
  await h.waitFor("(38/");
  await h.write(keys.escape);
  await h.waitFor("/ filter users");
});

test("delete account: type your username to confirm; Esc cancels; then back to login", async () => {
  const h = await loggedIn();
  await h.write("D");
  await h.waitFor("Delete account — type alice to confirm");
  await h.write(keys.escape);
  await h.waitFor("/ filter users");
  await h.write("D", "alicf", keys.enter);
  const f = await h.waitFor("type your username (alice) to confirm");
  matchSnapshot(import.meta.url, "delete-dialog-error", f);
  await h.write(keys.backspace, "e", keys.enter);
  await h.waitFor("account alice deleted");
  assert.equal(h.chat.users.has("alice"), false);
});

test("log out asks, then returns to the login screen with the name filled in", async () => {
  const h = await loggedIn();
  await h.write("L");
  matchSnapshot(import.meta.url, "logout-dialog", await h.waitFor("Log out alice?"));
  await h.write("y");
  const f = await h.waitFor("logged out");
  assert.ok(f.includes("Username   alice"));
});

test("resize re-lays out; below 40×10 a single 'too small' line; q quits", async () => {
  const h = await loggedIn(100, 30);
  await h.write(keys.enter);
  await h.waitFor("albert · offline");
  await h.write("resize me", keys.enter, keys.escape, keys.escape);
  h.resize(60, 15);
  const small = await h.waitFor((fr) => fr.split("\n").length <= 14 && fr.includes("resize me"));
  matchSnapshot(import.meta.url, "main-60x15", small);
  h.resize(30, 8);
  const tiny = await h.waitFor("Terminal too small (need 40×10, have 30×8)");
  assert.equal(tiny.split("\n").length, 1);
  h.resize(80, 24);
  await h.waitFor("resize me");
  await h.write("q");
  await h.waitFor(() => h.quits === 1);
});
