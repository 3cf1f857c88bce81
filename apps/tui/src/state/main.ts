// The main screen's state and how data events change it: users found by the filter, the
// conversations (merged by seq), unread counts, the outbox, notices. Key presses are in
// main-keys.ts. Every function is pure: (state, action, env) → [state, effects].
import type { Message, UserEntry } from "../client-port.js";
import { geometry, type Geometry } from "../format/geometry.js";
import { layoutViewport, threadSource, type LayoutContext } from "../format/thread-layout.js";
import { emptyComposer, type ComposerState } from "./composer.js";
import {
  emptyConversation,
  firstUnreadSeq,
  hasSeq,
  historyPageMessages,
  lastIncomingSeq,
  mergeMessages,
  peerOf,
  type Conversation,
  type Outgoing,
} from "./conversations.js";
import type { Effect, Step } from "./effects.js";
import { emptyLine, type LineState } from "./line-edit.js";
import { assertNever } from "../assert-never.js";

export type Pane = "users" | "filter" | "thread" | "composer";

export type Dialog =
  | { kind: "none" }
  | { kind: "help"; offset: number }
  | { kind: "logout"; busy: boolean }
  | { kind: "delete"; line: LineState; error: string | undefined; busy: boolean };

export interface Notice {
  text: string;
  tone: "info" | "error";
}

export interface MainState {
  me: string;
  loginAtMs: number;
  size: { columns: number; rows: number };
  focus: Pane;
  dialog: Dialog;
  filter: LineState;
  /** The pattern the current `users` answer; a reply for an older pattern is dropped. */
  usersPattern: string;
  users: readonly UserEntry[];
  selected: number;
  unread: Readonly<Record<string, number>>;
  conversations: Readonly<Record<string, Conversation>>;
  outbox: readonly Outgoing[];
  open: string | undefined;
  composer: ComposerState;
  drafts: Readonly<Record<string, LineState>>;
  notice: Notice | undefined;
}

export type MainAction =
  | { type: "users-loaded"; pattern: string; users: readonly UserEntry[] }
  | { type: "messages-received"; messages: readonly Message[] }
  | {
      type: "history-loaded";
      peer: string;
      beforeSeq: number | undefined;
      messages: readonly Message[];
    }
  | { type: "history-failed"; peer: string; error: string }
  | { type: "send-acked"; clientMsgId: string; message: Message }
  | { type: "send-failed"; clientMsgId: string; error: string; retryable: boolean }
  | { type: "reconnected" }
  | { type: "resized"; columns: number; rows: number }
  | { type: "notice"; notice: Notice | undefined };

/** Unread counts at login, as the one-line notice: "5 unread from bob, 2 from carol". */
export function unreadNotice(
  unread: readonly { peer: string; count: number }[]
): string | undefined {
  const list = unread.filter((u) => u.count > 0).sort((a, b) => b.count - a.count);
  if (list.length === 0) return undefined;
  const shown = list
    .slice(0, 4)
    .map((u, i) => (i === 0 ? `${u.count} unread from ${u.peer}` : `${u.count} from ${u.peer}`));
  const more = list.length > 4 ? `, and ${list.length - 4} more` : "";
  return shown.join(", ") + more;
}

export function initialMain(
  me: string,
  unread: readonly { peer: string; count: number }[],
  loginAtMs: number,
  size: { columns: number; rows: number }
): MainState {
  const text = unreadNotice(unread);
  return {
    me,
    loginAtMs,
    size,
    focus: "users",
    dialog: { kind: "none" },
    filter: emptyLine,
    usersPattern: "",
    users: [],
    selected: 0,
    unread: Object.fromEntries(unread.filter((u) => u.count > 0).map((u) => [u.peer, u.count])),
    conversations: {},
    outbox: [],
    open: undefined,
    composer: emptyComposer,
    drafts: {},
    notice: text ? { text, tone: "info" } : undefined,
  };
}

/** The ListUsers pattern for what is typed in the filter: `*` as given, else "contains". */
export function filterPattern(text: string): string {
  const t = text.trim().toLowerCase();
  if (t === "") return "";
  return t.includes("*") ? t : `*${t}*`;
}

export function mainGeometry(s: MainState): Geometry {
  return geometry(s.size.columns, s.size.rows, s.composer.line.text);
}

export function layoutContext(s: MainState, peer: string): LayoutContext {
  const c = s.conversations[peer];
  return { width: mainGeometry(s).threadWidth, me: s.me, peer, markerSeq: c?.markerSeq };
}

export function conversationOf(s: MainState, peer: string): Conversation {
  return s.conversations[peer] ?? emptyConversation(peer);
}

export function withConversation(s: MainState, c: Conversation): MainState {
  return { ...s, conversations: { ...s.conversations, [c.peer]: c } };
}

export function outboxFor(s: MainState, peer: string): readonly Outgoing[] {
  return s.outbox.filter((o) => o.to === peer);
}

function receive(s: MainState, messages: readonly Message[]): Step<MainState> {
  const byPeer = new Map<string, Message[]>();
  for (const m of messages) {
    const peer = peerOf(m, s.me);
    const list = byPeer.get(peer);
    if (list) list.push(m);
    else byPeer.set(peer, [m]);
  }
  let next = s;
  let bell = false;
  const acked = new Set(messages.filter((m) => m.from === s.me).map((m) => m.clientMsgId));
  for (const [peer, list] of byPeer) {
    const c = conversationOf(next, peer);
    const fresh = list.filter((m) => !hasSeq(c.messages, m.seq));
    if (fresh.length === 0) continue;
    const incoming = fresh.filter((m) => m.from === peer);
    // Messages from before this login are already in the session's unread counts (events()
    // may replay them): only those committed after the login count again. See README.
    const live = incoming.filter((m) => m.sentAtMs > s.loginAtMs).length;
    const isOpen = peer === next.open;
    const scrolledUp = isOpen && c.scroll.kind !== "bottom";
    next = withConversation(next, {
      ...c,
      messages: mergeMessages(c.messages, fresh),
      newBelow: scrolledUp ? c.newBelow + fresh.length : c.newBelow,
    });
    if (!isOpen && live > 0) {
      next = { ...next, unread: { ...next.unread, [peer]: (next.unread[peer] ?? 0) + live } };
      bell = true;
    }
  }
  if (acked.size > 0)
    next = { ...next, outbox: next.outbox.filter((o) => !acked.has(o.clientMsgId)) };
  return [next, bell ? [{ kind: "bell" }] : []];
}

function historyLoaded(
  s: MainState,
  a: Extract<MainAction, { type: "history-loaded" }>
): MainState {
  const c = conversationOf(s, a.peer);
  const merged = mergeMessages(c.messages, a.messages);
  const next: Conversation = {
    ...c,
    messages: merged,
    history: "loaded",
    loadingOlder: false,
    hasOlder: a.messages.length >= historyPageMessages,
  };
  if (a.beforeSeq === undefined && s.open === a.peer && c.markerSeq === undefined) {
    next.markerSeq = firstUnreadSeq(next, s.unread[a.peer] ?? 0);
  }
  return withConversation(s, next);
}

/** Failed sends that may be retried by themselves, turned back to pending, with their effects. */
export function retrySends(s: MainState, which: (o: Outgoing) => boolean): Step<MainState> {
  const effects: Effect[] = [];
  const outbox = s.outbox.map((o) => {
    if (o.status !== "failed" || !which(o)) return o;
    effects.push({ kind: "send", clientMsgId: o.clientMsgId, to: o.to, text: o.text });
    return { ...o, status: "pending" as const, error: undefined };
  });
  return [{ ...s, outbox }, effects];
}

export function mainData(s: MainState, a: MainAction): Step<MainState> {
  switch (a.type) {
    case "users-loaded": {
      if (a.pattern !== s.usersPattern) return [s, []];
      const users = a.users.filter((u) => u.username !== s.me);
      const prev = s.users[s.selected]?.username;
      const keep = prev === undefined ? -1 : users.findIndex((u) => u.username === prev);
      const selected = keep >= 0 ? keep : Math.min(s.selected, Math.max(0, users.length - 1));
      return [{ ...s, users, selected }, []];
    }
    case "messages-received":
      return receive(s, a.messages);
    case "history-loaded":
      return [historyLoaded(s, a), []];
    case "history-failed": {
      const c = conversationOf(s, a.peer);
      const next = withConversation(s, {
        ...c,
        history: "loaded",
        loadingOlder: false,
        hasOlder: false,
      });
      return [{ ...next, notice: { text: `history of ${a.peer}: ${a.error}`, tone: "error" } }, []];
    }
    case "send-acked": {
      const outbox = s.outbox.filter((o) => o.clientMsgId !== a.clientMsgId);
      const [next, effects] = receive({ ...s, outbox }, [a.message]);
      return [next, effects.filter((e) => e.kind !== "bell")];
    }
    case "send-failed": {
      const outbox = s.outbox.map((o) =>
        o.clientMsgId === a.clientMsgId
          ? { ...o, status: "failed" as const, error: a.error, retryable: a.retryable }
          : o
      );
      return [{ ...s, outbox }, []];
    }
    case "reconnected":
      return retrySends(s, (o) => o.retryable);
    case "resized":
      return [{ ...s, size: { columns: a.columns, rows: a.rows } }, []];
    case "notice":
      return [{ ...s, notice: a.notice }, []];
    default:
      return assertNever(a);
  }
}

/** After every step: mark the open conversation read when its newest line is on screen. */
export function maybeMarkRead(s: MainState): Step<MainState> {
  const peer = s.open;
  if (peer === undefined || s.dialog.kind !== "none") return [s, []];
  const c = conversationOf(s, peer);
  const last = lastIncomingSeq(c);
  if (last <= c.readUpTo) return [s, []];
  const g = mainGeometry(s);
  const view = layoutViewport(
    threadSource(c.messages, outboxFor(s, peer)),
    c.scroll,
    g.threadHeight,
    layoutContext(s, peer)
  );
  if (!view.atBottom) return [s, []];
  const next = withConversation(s, { ...c, readUpTo: last, newBelow: 0 });
  return [
    { ...next, unread: { ...next.unread, [peer]: 0 } },
    [{ kind: "mark-read", peer, upToSeq: last }],
  ];
}

/** After every step: fetch an older page when the reader has reached the oldest loaded line. */
export function maybeLoadOlder(s: MainState): Step<MainState> {
  const peer = s.open;
  if (peer === undefined) return [s, []];
  const c = conversationOf(s, peer);
  if (c.history !== "loaded" || !c.hasOlder || c.loadingOlder || c.messages.length === 0)
    return [s, []];
  const g = mainGeometry(s);
  const view = layoutViewport(
    threadSource(c.messages, outboxFor(s, peer)),
    c.scroll,
    g.threadHeight,
    layoutContext(s, peer)
  );
  if (!view.atTop) return [s, []];
  const beforeSeq = c.messages[0]?.seq;
  return [
    withConversation(s, { ...c, loadingOlder: true }),
    [{ kind: "load-history", peer, beforeSeq }],
  ];
}
