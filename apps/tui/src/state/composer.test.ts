import assert from "node:assert/strict";
import { test } from "node:test";
import type { Action } from "../keys/keymap.js";
import {
  composerReducer,
  emptyComposer,
  type ComposerAction,
  type ComposerState,
} from "./composer.js";
import { editLine, insertText, lineOf, type LineState } from "./line-edit.js";

const run = (s: ComposerState, ...as: ComposerAction[]): ComposerState =>
  as.reduce(composerReducer, s);
const key = (action: Action): ComposerAction => ({ type: "key", action });
const ins = (text: string): ComposerAction => ({ type: "insert", text });
const edit = (l: LineState, ...as: Action[]): LineState => as.reduce(editLine, l);

test("cursor moves, inserts in the middle, Backspace and Delete", () => {
  const s = run(
    emptyComposer,
    ins("helo"),
    key("edit-left"),
    ins("l"),
    key("edit-home"),
    key("edit-delete")
  );
  assert.deepEqual(s.line, { text: "ello", cursor: 0 });
  const t = run(s, key("edit-end"), key("edit-backspace"));
  assert.deepEqual(t.line, { text: "ell", cursor: 3 });
});

test("Ctrl+A/E, Ctrl+U deletes to start, Ctrl+W deletes a word, Ctrl+K to end", () => {
  const l = lineOf("send the report now");
  assert.deepEqual(edit(l, "edit-kill-word"), { text: "send the report ", cursor: 16 });
  assert.deepEqual(edit(l, "edit-kill-word", "edit-kill-word"), { text: "send the ", cursor: 9 });
  assert.deepEqual(edit(l, "edit-left", "edit-left", "edit-kill-start"), { text: "ow", cursor: 0 });
  assert.deepEqual(edit(l, "edit-home", "edit-right", "edit-kill-end"), { text: "s", cursor: 1 });
  assert.deepEqual(edit(l, "edit-home", "edit-end"), { text: l.text, cursor: l.text.length });
});

test("emoji and combining characters move and delete as one", () => {
  const l = lineOf("a👩‍💻é");
  const back = edit(l, "edit-backspace");
  assert.equal(back.text, "a👩‍💻");
  assert.equal(edit(back, "edit-backspace").text, "a");
  assert.equal(edit(l, "edit-home", "edit-right", "edit-right").cursor, "a👩‍💻".length);
});

test("history: Up/Down recall sent texts only when the draft is empty", () => {
  let s = run(emptyComposer, ins("one"), { type: "sent", text: "one" }, ins("two"), {
    type: "sent",
    text: "two",
  });
  assert.equal(s.line.text, "");
  s = run(s, key("history-prev"));
  assert.equal(s.line.text, "two");
  s = run(s, key("history-prev"), key("history-prev"));
  assert.equal(s.line.text, "one");
  s = run(s, key("history-next"));
  assert.equal(s.line.text, "two");
  s = run(s, key("history-next"));
  assert.equal(s.line.text, "");
  const typing = run(s, ins("draft"), key("history-prev"));
  assert.equal(typing.line.text, "draft", "a draft is never replaced by history");
});

test("inserting a paste keeps its newlines; the length is capped", () => {
  const s = run(emptyComposer, ins("a\nb"));
  assert.equal(s.line.text, "a\nb");
  assert.equal(insertText(lineOf(""), "x".repeat(5000)).text.length, 4096);
});
