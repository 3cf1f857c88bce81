// A single editable line (or a small multi-line draft): text plus a cursor, and the pure
// editing operations of the keymap's "edit" scope. The cursor is a UTF-16 index that only
// ever rests on grapheme boundaries, so emoji and combining marks move and delete as one.
import type { Action } from "../keys/keymap.js";

export interface LineState {
  text: string;
  cursor: number;
}

export const emptyLine: LineState = { text: "", cursor: 0 };

/** Characters a single field may hold (a message is at most 4096 characters, DESIGN §5). */
export const lineCharsMax = 4096;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function boundaries(text: string): number[] {
  const out = [0];
  for (const s of segmenter.segment(text)) out.push(s.index + s.segment.length);
  return out;
}

function prevBoundary(text: string, i: number): number {
  let prev = 0;
  for (const b of boundaries(text)) {
    if (b >= i) return prev;
    prev = b;
  }
  return prev;
}

function nextBoundary(text: string, i: number): number {
  for (const b of boundaries(text)) if (b > i) return b;
  return text.length;
}

export function lineOf(text: string): LineState {
  return { text, cursor: text.length };
}

export function insertText(s: LineState, text: string): LineState {
  const room = lineCharsMax - s.text.length;
  if (room <= 0 || text === "") return s;
  const piece = text.slice(0, room);
  return {
    text: s.text.slice(0, s.cursor) + piece + s.text.slice(s.cursor),
    cursor: s.cursor + piece.length,
  };
}

function wordStart(text: string, i: number): number {
  let j = i;
  while (j > 0 && /\s/.test(text[j - 1] ?? "")) j -= 1;
  while (j > 0 && !/\s/.test(text[j - 1] ?? "")) j -= 1;
  return j;
}

/** Applies one editing action; any action outside the "edit" scope leaves the line alone. */
export function editLine(s: LineState, action: Action): LineState {
  const { text, cursor } = s;
  switch (action) {
    case "edit-left":
      return { text, cursor: prevBoundary(text, cursor) };
    case "edit-right":
      return { text, cursor: nextBoundary(text, cursor) };
    case "edit-home":
      return { text, cursor: 0 };
    case "edit-end":
      return { text, cursor: text.length };
    case "edit-backspace": {
      if (cursor === 0) return s;
      const p = prevBoundary(text, cursor);
      return { text: text.slice(0, p) + text.slice(cursor), cursor: p };
    }
    case "edit-delete": {
      if (cursor >= text.length) return s;
      return { text: text.slice(0, cursor) + text.slice(nextBoundary(text, cursor)), cursor };
    }
    case "edit-kill-start":
      return { text: text.slice(cursor), cursor: 0 };
    case "edit-kill-end":
      return { text: text.slice(0, cursor), cursor };
    case "edit-kill-word": {
      const w = wordStart(text, cursor);
      return { text: text.slice(0, w) + text.slice(cursor), cursor: w };
    }
    case "edit-newline":
      return insertText(s, "\n");
    default:
      return s;
  }
}
