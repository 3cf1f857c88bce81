// What each key does on the main screen, decided from the focused pane or open dialog and
// the keymap. Pure: (state, key event, env) → [state, effects].
import { actionFor, type Action, type Scope } from "../keys/keymap.js";
import type { KeyEvent } from "../keys/parse-keys.js";
import { helpOffsetMax } from "../format/help.js";
import { scrollThread, threadSource, type ScrollMove } from "../format/thread-layout.js";
import { composerReducer } from "./composer.js";
import { firstUnreadSeq } from "./conversations.js";
import type { Effect, Step, StepEnv } from "./effects.js";
import { editLine, emptyLine, insertText } from "./line-edit.js";
import {
  conversationOf,
  filterPattern,
  layoutContext,
  mainGeometry,
  outboxFor,
  retrySends,
  withConversation,
  type MainState,
  type Pane,
} from "./main.js";

/** Which part of the screen owns the keyboard now: a pane, or the open dialog. */
export type KeyTarget = Pane | "dialog";

export function keyTarget(s: MainState): KeyTarget {
  return s.dialog.kind === "none" ? s.focus : "dialog";
}

function scopesOf(s: MainState): readonly Scope[] {
  switch (s.dialog.kind) {
    case "help":
      return ["help"];
    case "logout":
      return ["confirm"];
    case "delete":
      return ["dialog", "edit"];
    case "none":
      break;
  }
  const byPane: Record<Pane, readonly Scope[]> = {
    users: ["users", "nav"],
    filter: ["filter", "edit"],
    thread: ["thread", "nav"],
    composer: ["composer", "edit"],
  };
  return byPane[s.focus];
}

const typing = (s: MainState): boolean =>
  s.dialog.kind === "delete" ||
  (s.dialog.kind === "none" && (s.focus === "filter" || s.focus === "composer"));

/**
 * A key goes to whatever owns the keyboard *now* (keyTarget), not to the pane whose hook
 * read it: one chunk can move the focus midway ("\r\r" = submit the filter, then open), and
 * the next pane's hook only subscribes after React commits.
 */
export function mainKey(s: MainState, ev: KeyEvent, env: StepEnv): Step<MainState> {
  if (ev.kind === "key" && ev.meta && ev.name === "char" && !actionFor(scopesOf(s), ev)) {
    // ESC then a key read in one chunk looks like Alt+key: when Alt+key means nothing here,
    // it was Esc followed by the key (Esc then "/" quickly = leave the composer, filter).
    const esc: KeyEvent = { kind: "key", name: "escape", ctrl: false, meta: false, shift: false };
    const [s1, e1] = mainKey(s, esc, env);
    const [s2, e2] = mainKey(s1, { kind: "text", text: ev.char ?? "" }, env);
    return [s2, [...e1, ...e2]];
  }
  if (ev.kind === "paste") return typing(s) ? insert(s, ev.text) : [s, []];
  if (ev.kind === "text") {
    // Navigation keys typed in one chunk ("jj", "/ab") act one at a time; once a key opens
    // a text field, the rest of the chunk is typed into it.
    let state = s;
    const effects: Effect[] = [];
    const chars = [...ev.text];
    for (let i = 0; i < chars.length; i += 1) {
      if (typing(state)) {
        const [next, more] = insert(state, chars.slice(i).join(""));
        return [next, [...effects, ...more]];
      }
      const action = actionFor(scopesOf(state), { kind: "text", text: chars[i] ?? "" });
      if (action === undefined) continue;
      const [next, more] = onAction(state, action, env);
      state = next;
      effects.push(...more);
    }
    return [state, effects];
  }
  const action = actionFor(scopesOf(s), ev);
  return action ? onAction(s, action, env) : [s, []];
}

function insert(s: MainState, text: string): Step<MainState> {
  if (s.dialog.kind === "delete") {
    const line = insertText(s.dialog.line, text.replace(/\n/g, ""));
    return [{ ...s, dialog: { ...s.dialog, line, error: undefined } }, []];
  }
  if (s.focus === "filter") return setFilter(s, insertText(s.filter, text.replace(/\n/g, "")));
  return [{ ...s, composer: composerReducer(s.composer, { type: "insert", text }) }, []];
}

function setFilter(s: MainState, filter: typeof s.filter): Step<MainState> {
  const pattern = filterPattern(filter.text);
  if (pattern === s.usersPattern) return [{ ...s, filter }, []];
  return [
    { ...s, filter, usersPattern: pattern, selected: 0 },
    [{ kind: "search-users", pattern }],
  ];
}

const panes: readonly Pane[] = ["users", "thread", "composer"];

function cycleFocus(s: MainState, step: 1 | -1): MainState {
  const usable = s.open === undefined ? (["users"] as const) : panes;
  const at = Math.max(0, usable.indexOf(s.focus as never));
  const focus = usable[(at + step + usable.length) % usable.length] ?? "users";
  return { ...s, focus };
}

export function openConversation(s: MainState, peer: string): Step<MainState> {
  const drafts = s.open === undefined ? s.drafts : { ...s.drafts, [s.open]: s.composer.line };
  const composer = composerReducer(s.composer, { type: "load", line: drafts[peer] ?? emptyLine });
  const c = conversationOf(s, peer);
  const unread = s.unread[peer] ?? 0;
  const effects: Effect[] = [];
  const next = {
    ...c,
    scroll: { kind: "bottom" as const },
    newBelow: 0,
    markerSeq: firstUnreadSeq(c, unread),
  };
  if (c.history === "none") {
    next.history = "loading";
    effects.push({ kind: "load-history", peer, beforeSeq: undefined });
  }
  const state = withConversation(
    { ...s, drafts, composer, open: peer, focus: "composer", notice: undefined },
    next
  );
  return [state, effects];
}

function scroll(s: MainState, move: ScrollMove): MainState {
  const peer = s.open;
  if (peer === undefined) return s;
  const c = conversationOf(s, peer);
  const src = threadSource(c.messages, outboxFor(s, peer));
  const h = mainGeometry(s).threadHeight;
  const next = scrollThread(src, c.scroll, move, h, layoutContext(s, peer));
  return withConversation(s, {
    ...c,
    scroll: next,
    newBelow: next.kind === "bottom" ? 0 : c.newBelow,
  });
}

function send(s: MainState, env: StepEnv): Step<MainState> {
  const text = s.composer.line.text;
  if (text.trim() === "") return [s, []];
  const to = s.open;
  if (to === undefined)
    return [{ ...s, notice: { text: "open a conversation first", tone: "error" } }, []];
  const clientMsgId = env.newId();
  const outbox = [
    ...s.outbox,
    {
      clientMsgId,
      to,
      text,
      status: "pending" as const,
      error: undefined,
      retryable: false,
      createdAtMs: env.nowMs,
    },
  ];
  const composer = composerReducer(s.composer, { type: "sent", text });
  const next = scroll(
    { ...s, outbox, composer, drafts: { ...s.drafts, [to]: emptyLine } },
    { kind: "bottom" }
  );
  return [next, [{ kind: "send", clientMsgId, to, text }]];
}

/** The help overlay's size: the body area minus its title line. */
export function helpArea(s: MainState): { width: number; height: number } {
  const g = mainGeometry(s);
  return { width: g.columns, height: Math.max(1, g.bodyHeight - 1) };
}

function scrollHelp(s: MainState, offset: number, action: Action): MainState {
  const { width, height } = helpArea(s);
  const steps: Partial<Record<Action, number>> = {
    "move-up": -1,
    "move-down": 1,
    "page-up": -height,
    "page-down": height,
  };
  const next = Math.max(0, Math.min(helpOffsetMax(width, height), offset + (steps[action] ?? 0)));
  return { ...s, dialog: { kind: "help", offset: next } };
}

function onDialogAction(s: MainState, action: Action): Step<MainState> {
  const d = s.dialog;
  if (action === "cancel") return [{ ...s, dialog: { kind: "none" } }, []];
  if (d.kind === "help") return [scrollHelp(s, d.offset, action), []];
  if (d.kind === "logout" && action === "confirm" && !d.busy) {
    return [{ ...s, dialog: { kind: "logout", busy: true } }, [{ kind: "logout" }]];
  }
  if (d.kind !== "delete" || d.busy) return [s, []];
  if (action !== "confirm") return [{ ...s, dialog: { ...d, line: editLine(d.line, action) } }, []];
  if (d.line.text !== s.me) {
    return [{ ...s, dialog: { ...d, error: `type your username (${s.me}) to confirm` } }, []];
  }
  return [
    { ...s, dialog: { ...d, busy: true, error: undefined } },
    [{ kind: "delete-account", confirmUsername: s.me }],
  ];
}

function onAction(s: MainState, action: Action, env: StepEnv): Step<MainState> {
  if (s.dialog.kind !== "none") return onDialogAction(s, action);
  const page = Math.max(1, mainGeometry(s).threadHeight - 1);
  const last = Math.max(0, s.users.length - 1);
  switch (action) {
    case "quit":
      return [s, [{ kind: "quit" }]];
    case "help":
      return [{ ...s, dialog: { kind: "help", offset: 0 } }, []];
    case "logout":
      return [{ ...s, dialog: { kind: "logout", busy: false } }, []];
    case "delete-account":
      return [
        { ...s, dialog: { kind: "delete", line: emptyLine, error: undefined, busy: false } },
        [],
      ];
    case "focus-next":
      return [cycleFocus(s, 1), []];
    case "focus-prev":
      return [cycleFocus(s, -1), []];
    case "focus-filter":
      return [{ ...s, focus: "filter" }, []];
    case "focus-composer":
      return [s.open === undefined ? s : { ...s, focus: "composer" }, []];
    case "move-up":
      return s.focus === "users"
        ? [{ ...s, selected: Math.max(0, s.selected - 1) }, []]
        : [scroll(s, { kind: "lines", delta: -1 }), []];
    case "move-down":
      return s.focus === "users"
        ? [{ ...s, selected: Math.min(last, s.selected + 1) }, []]
        : [scroll(s, { kind: "lines", delta: 1 }), []];
    case "move-top":
      return s.focus === "users" ? [{ ...s, selected: 0 }, []] : [scroll(s, { kind: "top" }), []];
    case "move-bottom":
      return s.focus === "users"
        ? [{ ...s, selected: last }, []]
        : [scroll(s, { kind: "bottom" }), []];
    case "page-up":
      return [scroll(s, { kind: "lines", delta: -page }), []];
    case "page-down":
      return [scroll(s, { kind: "lines", delta: page }), []];
    case "open": {
      const user = s.users[s.selected];
      return user ? openConversation(s, user.username) : [s, []];
    }
    case "retry":
      return retrySends(s, (o) => o.to === s.open);
    case "back":
      return [{ ...s, focus: s.focus === "composer" ? "thread" : "users" }, []];
    case "submit":
      if (s.focus === "filter") return [{ ...s, focus: "users" }, []];
      return send(s, env);
    case "cancel":
      if (s.focus === "filter") {
        const [next, effects] = setFilter(s, emptyLine);
        return [{ ...next, focus: "users" }, effects];
      }
      return [s, []];
    default:
      if (s.focus === "filter") return setFilter(s, editLine(s.filter, action));
      if (s.focus === "composer")
        return [{ ...s, composer: composerReducer(s.composer, { type: "key", action }) }, []];
      return [s, []];
  }
}
