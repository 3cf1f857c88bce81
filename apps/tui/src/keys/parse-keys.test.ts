import assert from "node:assert/strict";
import { test } from "node:test";
import { createKeyDecoder, parseKeys, type KeyEvent } from "./parse-keys.js";
import { actionFor, describeKey, keymap } from "./keymap.js";

const names = (evs: KeyEvent[]): (string | undefined)[] =>
  evs.map((e) => (e.kind === "key" ? describeKey(e) : `${e.kind}:${e.text}`));

test("typed text followed by Enter in one chunk is text, then enter", () => {
  assert.deepEqual(names(parseKeys("hello\r")), ["text:hello", "enter"]);
});

test("backspaces inside a chunk are kept (Ink 6.8 drops them)", () => {
  assert.deepEqual(names(parseKeys("ab\x7f\x7f")), ["text:ab", "backspace", "backspace"]);
});

test("multi-line chunks are a paste, never a send", () => {
  assert.deepEqual(names(parseKeys("one\rtwo\rthree\r")), ["paste:one\ntwo\nthree"]);
  assert.deepEqual(names(parseKeys("a\nb")), ["paste:a\nb"]);
  assert.deepEqual(names(parseKeys("\r\r")), ["enter", "enter"], "Enter pressed twice quickly");
  assert.deepEqual(names(parseKeys("a*\r\r")), ["text:a*", "enter", "enter"]);
});

test("escape sequences: arrows, pages, home/end, delete, shift+tab, F1", () => {
  const seqs = [
    "\x1b[A",
    "\x1b[B",
    "\x1b[C",
    "\x1b[D",
    "\x1b[5~",
    "\x1b[6~",
    "\x1b[H",
    "\x1b[F",
    "\x1b[1~",
    "\x1b[4~",
    "\x1b[3~",
    "\x1b[Z",
    "\x1bOP",
  ];
  assert.deepEqual(names(parseKeys(seqs.join(""))), [
    "up",
    "down",
    "right",
    "left",
    "pageup",
    "pagedown",
    "home",
    "end",
    "home",
    "end",
    "delete",
    "shift+tab",
    "f1",
  ]);
});

test("control and meta keys", () => {
  assert.deepEqual(names(parseKeys("\x01\x05\x15\x17\x03\t")), [
    "ctrl+a",
    "ctrl+e",
    "ctrl+u",
    "ctrl+w",
    "ctrl+c",
    "tab",
  ]);
  assert.deepEqual(names(parseKeys("\x1b")), ["escape"]);
  assert.deepEqual(names(parseKeys("\x1b\r")), ["alt+enter"]);
  assert.deepEqual(names(parseKeys("\x1b\x7f")), ["alt+backspace"]);
  assert.deepEqual(names(parseKeys("\x1b[13;2u")), ["shift+enter"]);
  assert.deepEqual(names(parseKeys("\x1b[1;5C")), ["ctrl+right"]);
});

test("bracketed paste arrives as one paste event, even split over chunks", () => {
  const d = createKeyDecoder();
  assert.deepEqual(names(d.push("x\x1b[200~line 1\r")), ["text:x"]);
  assert.deepEqual(names(d.push("line 2\x1b[201~")), ["paste:line 1\nline 2"]);
  assert.deepEqual(names(d.push("\x1b[200~single\x1b[201~\r")), ["paste:single", "enter"]);
});

test("emoji and CJK stay one text event", () => {
  assert.deepEqual(names(parseKeys("👋你好")), ["text:👋你好"]);
});

test("keymap: every scope resolves its keys, no key bound twice in a scope", () => {
  for (const b of keymap) {
    for (const k of b.keys) {
      const ev = k.length === 1 ? { kind: "text" as const, text: k } : parseKeys(encode(k))[0];
      assert.ok(ev, `cannot encode ${k}`);
      assert.equal(actionFor([b.scope], ev), b.action, `${b.scope}: ${k}`);
    }
  }
});

function encode(k: string): string {
  const table: Record<string, string> = {
    enter: "\r",
    tab: "\t",
    "shift+tab": "\x1b[Z",
    escape: "\x1b",
    up: "\x1b[A",
    down: "\x1b[B",
    right: "\x1b[C",
    left: "\x1b[D",
    pageup: "\x1b[5~",
    pagedown: "\x1b[6~",
    home: "\x1b[H",
    end: "\x1b[F",
    backspace: "\x7f",
    delete: "\x1b[3~",
    f1: "\x1bOP",
    "alt+enter": "\x1b\r",
    "shift+enter": "\x1b[13;2u",
    "alt+backspace": "\x1b\x7f",
  };
  if (table[k]) return table[k];
  const ctrl = /^ctrl\+(.)$/.exec(k);
  if (ctrl?.[1]) return String.fromCharCode(ctrl[1].charCodeAt(0) - 96);
  throw new Error(`no encoding for ${k}`);
}
