// The message array and the indexes over it: per-account event lists (seq order, for
// eventsAfter) and per-conversation views (seq lists, read marks, unread counts), keyed by
// account id so a re-registered name never sees its predecessor's conversations.

import { invariant } from "./errors.js";
import { firstIndexAbove } from "./search.js";
import {
  accountIndex,
  messageAt,
  type Account,
  type ChatState,
  type ConversationView,
} from "./state.js";
import type { Message, UnreadCount } from "./types.js";

/** Both sides' views of the conversation between two accounts, created on first use. */
function viewsOf(state: ChatState, a: Account, b: Account): [ConversationView, ConversationView] {
  const aConversations = accountIndex(state, a.id).conversations;
  const bConversations = accountIndex(state, b.id).conversations;
  const aView = aConversations.get(b.id);
  const bView = bConversations.get(a.id);
  if (aView && bView) return [aView, bView];
  invariant(!aView && !bView, "conversation known to one side only");
  const seqs: number[] = [];
  const made: [ConversationView, ConversationView] = [
    { peerId: b.id, seqs, readUpToSeq: 0, unread: 0 },
    { peerId: a.id, seqs, readUpToSeq: 0, unread: 0 },
  ];
  aConversations.set(b.id, made[0]);
  bConversations.set(a.id, made[1]);
  return made;
}

/** Adds an appended message to the indexes of its two (live) accounts. */
export function indexMessage(state: ChatState, message: Message, from: Account, to: Account): void {
  const [, toView] = viewsOf(state, from, to);
  toView.seqs.push(message.seq);
  accountIndex(state, from.id).events.push(message.seq);
  accountIndex(state, to.id).events.push(message.seq);
  if (message.seq > toView.readUpToSeq) toView.unread += 1;
}

export type NewMessage = Omit<Message, "seq" | "from" | "to">;

export function appendMessage(
  state: ChatState,
  from: Account,
  to: Account,
  fields: NewMessage
): Message {
  const message: Message = Object.freeze({
    seq: state.messages.length + 1,
    id: fields.id,
    from: from.username,
    to: to.username,
    text: fields.text,
    sentAtMs: fields.sentAtMs,
    clientMsgId: fields.clientMsgId,
  });
  state.messages.push(message);
  indexMessage(state, message, from, to);
  return message;
}

/** Messages to `owner` in the view with seq > view.readUpToSeq. */
export function countUnread(state: ChatState, owner: Account, view: ConversationView): number {
  return countTo(state, owner, view, Infinity);
}

/**
 * Messages to `owner` in the view with view.readUpToSeq < seq ≤ `upTo`. It reads each one's
 * recipient, which for a sealed or restored page means parsing its row: callers count a range once.
 */
export function countTo(state: ChatState, owner: Account, view: ConversationView, upTo: number): number {
  let count = 0;
  for (let i = firstIndexAbove(view.seqs, view.readUpToSeq); i < view.seqs.length; i++) {
    const seq = view.seqs[i] as number;
    if (seq > upTo) break;
    if (messageAt(state, seq).to === owner.username) count += 1;
  }
  return count;
}

export function unreadOf(state: ChatState, owner: Account): UnreadCount[] {
  const counts: UnreadCount[] = [];
  for (const view of accountIndex(state, owner.id).conversations.values()) {
    if (view.unread === 0) continue;
    const peer = state.accounts.get(view.peerId);
    invariant(peer, "conversation with a deleted account");
    counts.push({ peer: peer.username, count: view.unread });
  }
  return counts.sort((x, y) => (x.peer < y.peer ? -1 : x.peer > y.peer ? 1 : 0));
}

/** `events` minus `removed`; both ascending. */
function withoutSeqs(events: number[], removed: readonly number[]): number[] {
  const kept: number[] = [];
  let r = 0;
  for (const seq of events) {
    while (r < removed.length && (removed[r] as number) < seq) r += 1;
    if (removed[r] !== seq) kept.push(seq);
  }
  return kept;
}

/** Forgets every conversation of `account` on its peers' side (before it is deleted). */
export function dropConversationsOf(state: ChatState, account: Account): void {
  for (const view of accountIndex(state, account.id).conversations.values()) {
    const peerIndex = accountIndex(state, view.peerId);
    peerIndex.conversations.delete(account.id);
    const kept = withoutSeqs(peerIndex.events, view.seqs);
    peerIndex.events.length = 0;
    for (const seq of kept) peerIndex.events.push(seq);
  }
}
