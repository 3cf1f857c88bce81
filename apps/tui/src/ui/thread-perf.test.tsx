// The app runs React's production build (cli.ts sets NODE_ENV); so does this timing test.
// This import must stay first: it sets NODE_ENV before React is loaded.
import "../testing/production-react.js";
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { seedChat, startHarness, type Harness } from "../testing/app-harness.js";
import { keys } from "../testing/render.js";

let h: Harness | undefined;
afterEach(() => h?.dispose());

test("100,000 messages: open, page up and back to the newest stay fast", async () => {
  const chat = seedChat();
  for (let i = 0; i < 100_000; i += 1) {
    chat.post(
      i % 2 ? "bob" : "alice",
      i % 2 ? "alice" : "bob",
      `message ${i} ${"word ".repeat(i % 9)}`
    );
  }
  h = startHarness(chat);
  await h.waitFor("Username");
  await h.login("alice");
  await h.waitFor(/bob +\d/);
  const started = performance.now();
  await h.write("j", "j", keys.enter);
  await h.waitFor("message 99999");
  await h.write(keys.escape);
  for (let i = 0; i < 10; i += 1) await h.write(keys.pageUp);
  await h.waitFor("scrolled up");
  await h.write(keys.end);
  await h.waitFor((f) => f.includes("message 99999") && !f.includes("scrolled up"));
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 5000, `took ${Math.round(elapsed)} ms`);
});
