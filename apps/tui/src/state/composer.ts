// The composer's state: the draft being typed and the history of sent texts (Up/Down recall
// them when the draft is empty, as in a shell). Sending clears the draft only once the text
// is in the outbox (state/conversations.ts), so a failover never loses what was typed.
import type { Action } from "../keys/keymap.js";
import { editLine, emptyLine, insertText, lineOf, type LineState } from "./line-edit.js";

export interface ComposerState {
  line: LineState;
  /** Sent texts, oldest first. */
  history: readonly string[];
  /** While browsing history: the index shown; undefined when editing a fresh draft. */
  historyIndex: number | undefined;
}

export const historyEntriesMax = 100;

export const emptyComposer: ComposerState = {
  line: emptyLine,
  history: [],
  historyIndex: undefined,
};

export type ComposerAction =
  | { type: "insert"; text: string }
  | { type: "key"; action: Action }
  | { type: "sent"; text: string }
  | { type: "load"; line: LineState };

function browse(s: ComposerState, index: number | undefined): ComposerState {
  if (index === undefined) return { ...s, line: emptyLine, historyIndex: undefined };
  return { ...s, line: lineOf(s.history[index] ?? ""), historyIndex: index };
}

function historyStep(s: ComposerState, action: "history-prev" | "history-next"): ComposerState {
  const browsing = s.historyIndex !== undefined;
  if (!browsing && s.line.text !== "") return s; // only an empty draft recalls history
  if (action === "history-prev") {
    if (s.history.length === 0) return s;
    const i = browsing ? Math.max(0, (s.historyIndex ?? 0) - 1) : s.history.length - 1;
    return browse(s, i);
  }
  if (!browsing) return s;
  const i = (s.historyIndex ?? 0) + 1;
  return browse(s, i >= s.history.length ? undefined : i);
}

export function composerReducer(s: ComposerState, a: ComposerAction): ComposerState {
  switch (a.type) {
    case "insert":
      return { ...s, line: insertText(s.line, a.text), historyIndex: undefined };
    case "key":
      if (a.action === "history-prev" || a.action === "history-next") {
        return historyStep(s, a.action);
      }
      return { ...s, line: editLine(s.line, a.action), historyIndex: undefined };
    case "sent": {
      const history = [...s.history.filter((h) => h !== a.text), a.text].slice(-historyEntriesMax);
      return { line: emptyLine, history, historyIndex: undefined };
    }
    case "load":
      return { ...s, line: a.line, historyIndex: undefined };
  }
}
