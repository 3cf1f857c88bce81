// The data of one conversation and the pure operations on it: merging messages by seq (the
// cluster's commit order, so duplicates from replay, history and acks collapse), the outbox
// of sends not yet acknowledged, and the reader's scroll position.
import type { Message } from "../client-port.js";

/** Where the reader is: following the newest line, or holding a line of an older item. */
export type ScrollState = { kind: "bottom" } | { kind: "anchor"; key: string; lineOffset: number };

export interface Conversation {
  peer: string;
  /** Ascending by seq, no duplicates. */
  messages: readonly Message[];
  history: "none" | "loading" | "loaded";
  hasOlder: boolean;
  loadingOlder: boolean;
  scroll: ScrollState;
  /** Live messages that arrived while the reader was scrolled up. */
  newBelow: number;
  /** Draws "── new ──" before this message (the first unread when the conversation opened). */
  markerSeq: number | undefined;
  /** The highest seq this client has marked read. */
  readUpTo: number;
}

export interface Outgoing {
  clientMsgId: string;
  to: string;
  text: string;
  status: "pending" | "failed";
  error: string | undefined;
  /** A failure worth retrying by itself when the cluster comes back (e.g. unavailable). */
  retryable: boolean;
  createdAtMs: number;
}

export const historyPageMessages = 200;

export function emptyConversation(peer: string): Conversation {
  return {
    peer,
    messages: [],
    history: "none",
    hasOlder: true,
    loadingOlder: false,
    scroll: { kind: "bottom" },
    newBelow: 0,
    markerSeq: undefined,
    readUpTo: 0,
  };
}

/** The other party of a message, seen from `me`. */
export function peerOf(m: Message, me: string): string {
  return m.from === me ? m.to : m.from;
}

function indexOfSeq(messages: readonly Message[], seq: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((messages[mid]?.seq ?? 0) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function hasSeq(messages: readonly Message[], seq: number): boolean {
  return messages[indexOfSeq(messages, seq)]?.seq === seq;
}

/** Merges `incoming` (any order) into `messages` (ascending); returns the same array if unchanged. */
export function mergeMessages(
  messages: readonly Message[],
  incoming: readonly Message[]
): readonly Message[] {
  const fresh = incoming.filter((m) => !hasSeq(messages, m.seq));
  if (fresh.length === 0) return messages;
  const sorted = [...new Map(fresh.map((m) => [m.seq, m])).values()].sort((a, b) => a.seq - b.seq);
  const last = messages[messages.length - 1];
  if (last === undefined || (sorted[0]?.seq ?? 0) > last.seq) return [...messages, ...sorted];
  const out: Message[] = [];
  let i = 0;
  for (const m of sorted) {
    while (i < messages.length && (messages[i]?.seq ?? 0) < m.seq)
      out.push(messages[i++] as Message);
    out.push(m);
  }
  while (i < messages.length) out.push(messages[i++] as Message);
  return out;
}

/** The seq of the last message `peer` sent in this conversation, or 0. */
export function lastIncomingSeq(c: Conversation): number {
  for (let i = c.messages.length - 1; i >= 0; i -= 1) {
    const m = c.messages[i];
    if (m && m.from === c.peer) return m.seq;
  }
  return 0;
}

/** The seq of the `count`-th last message from the peer: where "── new ──" goes. */
export function firstUnreadSeq(c: Conversation, count: number): number | undefined {
  if (count <= 0) return undefined;
  let seen = 0;
  for (let i = c.messages.length - 1; i >= 0; i -= 1) {
    const m = c.messages[i];
    if (m && m.from === c.peer) {
      seen += 1;
      if (seen === count) return m.seq;
    }
  }
  return undefined;
}
