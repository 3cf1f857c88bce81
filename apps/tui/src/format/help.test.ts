import assert from "node:assert/strict";
import { test } from "node:test";
import { keymap } from "../keys/keymap.js";
import { helpEntries, helpLayout, prettyKey } from "./help.js";
import { statusLine } from "./status.js";
import { healthyCluster } from "../testing/fake-client.js";
import { listWindow } from "./geometry.js";

test("the help lists every binding of the keymap", () => {
  const text = helpEntries().join("\n");
  for (const b of keymap) assert.ok(text.includes(b.help), `${b.scope}/${b.action} missing`);
  assert.equal(prettyKey("ctrl+r"), "Ctrl+R");
  assert.equal(prettyKey("shift+tab"), "Shift+Tab");
  assert.equal(prettyKey("G"), "G");
});

test("help flows into columns that fit, and scrolls only when it must", () => {
  assert.equal(helpLayout(80, 19).columns.length, 2);
  assert.equal(helpLayout(200, 40).rowsTotal, 40);
  const tall = helpLayout(40, 10);
  assert.equal(tall.columns.length, 1);
  assert.ok(tall.rowsTotal > 10);
});

test("user list window keeps the selection visible", () => {
  assert.equal(listWindow(5, 4, 10), 0);
  assert.equal(listWindow(100, 0, 10), 0);
  assert.equal(listWindow(100, 50, 10), 45);
  assert.equal(listWindow(100, 99, 10), 90);
});

test("status line counts the offline retry down", () => {
  const c = {
    ...healthyCluster(),
    connection: { kind: "offline" as const, retryInMs: 5000, reason: "x" },
  };
  assert.match(statusLine("alice", c, 80, 0), /retrying in 5 s$/);
  assert.match(statusLine("alice", c, 80, 3100), /retrying in 2 s$/);
});
