import assert from "node:assert/strict";
import { test } from "node:test";
import { draftLayout } from "./draft-layout.js";
import { fit, rule, sanitize, truncate, widthOf, wrapText } from "./text.js";

test("wrapText: words, hard breaks, blank lines, wide characters", () => {
  assert.deepEqual(wrapText("the quick brown fox", 10), ["the quick", "brown fox"]);
  assert.deepEqual(wrapText("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
  assert.deepEqual(wrapText("a\n\nb", 5), ["a", "", "b"]);
  assert.deepEqual(wrapText("你好你好你好", 5), ["你好", "你好", "你好"]);
  for (const line of wrapText("👋 emoji 👋👋 mixed 中文 text ".repeat(5), 7))
    assert.ok(widthOf(line) <= 7, line);
});

test("truncate, fit and rule are exact in columns", () => {
  assert.equal(truncate("hello world", 6), "hello…");
  assert.equal(widthOf(fit("你好你好", 5)), 5);
  assert.equal(widthOf(rule("Tue 24 Nov", 30)), 30);
});

test("sanitize removes escape sequences and control characters", () => {
  assert.equal(sanitize("a\x1b[2Jb\x07c\td"), "abc    d");
});

test("draftLayout: rows and cursor position, with a window around the cursor", () => {
  assert.deepEqual(draftLayout("hello", 5, 10), { rows: ["hello"], cursorRow: 0, cursorColumn: 5 });
  assert.deepEqual(draftLayout("ab\ncd", 4, 10), {
    rows: ["ab", "cd"],
    cursorRow: 1,
    cursorColumn: 1,
  });
  const long = draftLayout("x".repeat(30), 30, 10, 2);
  assert.equal(long.rows.length, 2);
  assert.equal(long.cursorRow, 1);
});

test("wrapText matches wrap-ansi (the reference) whenever no word is longer than a line", async () => {
  const { default: wrapAnsi } = await import("wrap-ansi");
  const words = ["a", "bb", "hello", "世界", "👋", "x", "end.", "mixed中文"];
  for (let i = 0; i < 1500; i += 1) {
    const n = 1 + (i % 12);
    const s = Array.from({ length: n }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(" ");
    for (const w of [9, 13, 20]) {
      const ours = wrapText(s, w).join("\n");
      assert.equal(ours, wrapAnsi(s, w, { hard: true, trim: true, wordWrap: true }), `${s} @${w}`);
    }
  }
});
