// End to end in a real pseudo-terminal, against the in-memory fake chat (CHAT_TUI_FAKE=1):
// register, filter with a wildcard, open a chat, send, see it and the reply, help, resize,
// quit with q — exit 0 and the alternate screen left.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { ensureBuilt } from "./build.js";
import { spawnPty } from "./pty.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));

test(
  "fake chat: register alice, filter a*, chat with bob, help, resize, quit",
  { timeout: 60_000 },
  async () => {
    const entry = ensureBuilt(packageDir);
    const tui = spawnPty(process.execPath, [entry], {
      cols: 100,
      rows: 30,
      env: { CHAT_TUI_FAKE: "1" },
    });
    try {
      await tui.waitFor("Username");
      assert.ok(tui.altScreen(), "runs in the alternate screen");
      await tui.type("alice", "\t", "password1", "\x14");
      await tui.waitFor("[x] create account");
      await tui.type("\r");
      await tui.waitFor("Welcome, alice.");
      await tui.type("/", "a*");
      await tui.waitFor((s) => s.includes("/ a*") && s.includes("albert") && !s.includes("carol"));
      await tui.type("\x1b");
      await tui.waitFor("/ filter users");
      await tui.type("/", "b*");
      await tui.waitFor((s) => s.includes("/ b*") && s.includes("bob") && !s.includes("anna"));
      await tui.type("\r", "\r");
      await tui.waitFor("bob · offline");
      await tui.type("hello bob 👋 你好\r"); // text and Enter in one chunk, as over ssh
      await tui.waitFor(/alice +│ hello bob 👋 你好/);
      await tui.waitFor("bob heard: hello bob 👋 你好");
      await tui.type("\x1b");
      await tui.waitFor("press i (or Tab) to write to bob");
      await tui.type("?");
      await tui.waitFor("Keys — Esc or ? closes");
      await tui.type("\x1b");
      await tui.waitFor("/ b*");
      tui.resize(60, 15);
      await tui.waitFor(
        (s) =>
          s.includes("bob heard") && s.split("\n")[13]?.includes("connected to node 1") === true
      );
      tui.resize(30, 8);
      await tui.waitFor("Terminal too small");
      tui.resize(100, 30);
      await tui.waitFor("bob heard");
      await tui.type("q");
      const code = await tui.exited;
      assert.equal(code, 0);
      assert.equal(tui.altScreen(), false, "left the alternate screen");
    } finally {
      tui.kill("SIGKILL");
    }
  }
);

test("SIGTERM restores the terminal and exits 143", { timeout: 30_000 }, async () => {
  const entry = ensureBuilt(packageDir);
  const tui = spawnPty(process.execPath, [entry], {
    cols: 80,
    rows: 24,
    env: { CHAT_TUI_FAKE: "1", NO_COLOR: "1" },
  });
  try {
    await tui.waitFor("Username");
    tui.kill("SIGTERM");
    assert.equal(await tui.exited, 143);
    assert.equal(tui.altScreen(), false);
  } finally {
    tui.kill("SIGKILL");
  }
});

test(
  "NO_COLOR: no colour escapes; Ctrl+C quits with 0 from the middle of typing",
  { timeout: 30_000 },
  async () => {
    const entry = ensureBuilt(packageDir);
    const tui = spawnPty(process.execPath, [entry], {
      cols: 80,
      rows: 24,
      env: { CHAT_TUI_FAKE: "1", NO_COLOR: "1", FORCE_COLOR: undefined },
    });
    try {
      await tui.waitFor("Username");
      await tui.type("carol\t", "password1\r");
      await tui.waitFor((s) => s.includes("Welcome, carol.") && s.includes("albert"));
      await tui.type("\r", "half a thought");
      await tui.waitFor("> half a thought");
      // SGR colour/style codes look like ESC[...m; Ink's cursor and erase codes do not end in m.
      const styled = tui.raw().match(/\x1b\[[0-9;]*m/g) ?? [];
      assert.deepEqual(styled, [], "no SGR sequences under NO_COLOR");
      tui.write("\x03");
      assert.equal(await tui.exited, 0);
      assert.equal(tui.altScreen(), false);
    } finally {
      tui.kill("SIGKILL");
    }
  }
);
