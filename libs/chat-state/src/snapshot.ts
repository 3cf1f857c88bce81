// Snapshots of the chat state. `captureSnapshot` copies the small durable parts at once and
// refers to the messages by count, so the node can stream them in chunks while it keeps
// applying (messages are append-only and never change). `restoreSnapshot` rebuilds a state
// equal to the original, indexes included.

import { conversationRows, type ConversationRow } from "./conversation-rows.js";
import { indexMessage } from "./conversations.js";
import { rememberOutcome, rememberSend } from "./dedup.js";
import { invariant } from "./errors.js";
import { deepFreeze } from "./freeze.js";
import type { MessageLog } from "./message-log.js";
import { insertSession } from "./sessions.js";
import {
  createState,
  type Account,
  type ChatState,
  type DedupEntry,
  type SendKey,
  type Session,
} from "./state.js";
import type { Message } from "./types.js";

/** One side of one conversation: the parts of a view that messages cannot tell. */
export interface ReadMark {
  readonly accountId: number;
  readonly peerId: number;
  readonly readUpToSeq: number;
  readonly unread: number;
}

/** The small, JSON-serialisable part of a snapshot. Tables keep their insertion order. */
export interface SnapshotHeader {
  readonly format: 1;
  readonly appliedIndex: number;
  readonly lastTs: number;
  readonly nextAccountId: number;
  readonly messageCount: number;
  readonly accounts: readonly Account[];
  readonly sessions: readonly Session[];
  readonly requests: readonly DedupEntry[];
  readonly sendKeys: readonly SendKey[];
  /** Sorted by (accountId, peerId). */
  readonly readMarks: readonly ReadMark[];
}

export interface SnapshotCapture {
  readonly header: SnapshotHeader;
  /** The live, append-only log; only the first `header.messageCount` belong here. */
  readonly messages: MessageLog;
  /** The conversation indexes as of the capture (format 3 writes them). */
  readonly conversations: readonly ConversationRow[];
}

function readMarksOf(state: ChatState): ReadMark[] {
  const marks: ReadMark[] = [];
  for (const [accountId, index] of state.indexes) {
    for (const view of index.conversations.values()) {
      marks.push({
        accountId,
        peerId: view.peerId,
        readUpToSeq: view.readUpToSeq,
        unread: view.unread,
      });
    }
  }
  return marks.sort((a, b) => a.accountId - b.accountId || a.peerId - b.peerId);
}

/**
 * Copies the small parts now. Accounts, sessions and dedup entries are frozen when created,
 * so the new arrays holding them are as good as deep copies.
 */
export function captureSnapshot(state: ChatState): SnapshotCapture {
  const header: SnapshotHeader = {
    format: 1,
    appliedIndex: state.appliedIndex,
    lastTs: state.lastTs,
    nextAccountId: state.nextAccountId,
    messageCount: state.messages.length,
    accounts: [...state.accounts.values()],
    sessions: [...state.sessions.values()],
    requests: [...state.requests.values()],
    sendKeys: [...state.sendKeys.values()],
    readMarks: readMarksOf(state),
  };
  return { header, messages: state.messages, conversations: conversationRows(state) };
}

export function snapshotHeader(capture: SnapshotCapture): SnapshotHeader {
  return capture.header;
}

/** Messages [from, to) of the capture (clamped to its message count), for chunked writes. */
export function snapshotMessages(capture: SnapshotCapture, from: number, to: number): Message[] {
  const end = Math.min(to, capture.header.messageCount);
  return [...capture.messages.range(Math.max(0, from) + 1, end + 1)];
}

export function corrupt(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`corrupt chat-state snapshot: ${what}`);
}

export function restoreAccounts(state: ChatState, accounts: readonly Account[]): void {
  for (const account of accounts) {
    corrupt(!state.accountIds.has(account.username), `duplicate user ${account.username}`);
    state.accounts.set(account.id, Object.freeze({ ...account }));
    state.accountIds.set(account.username, account.id);
    state.indexes.set(account.id, { sessions: new Set(), events: [], conversations: new Map() });
    state.usernames.push(account.username);
  }
  state.usernames.sort();
}

/** Appends the next message (seq = count + 1) and indexes it (formats 1 and 2). A message
 * belongs to the conversation of the accounts now holding its two names only if both accounts
 * existed when it was sent (a re-registered name starts clean). */
export function restoreMessage(state: ChatState, input: Message): void {
  const message = appendRestored(state, input);
  const { seq, from, to } = message;
  const sender = state.accounts.get(state.accountIds.get(from) ?? 0);
  const recipient = state.accounts.get(state.accountIds.get(to) ?? 0);
  if (sender && recipient && seq >= sender.firstSeq && seq >= recipient.firstSeq) {
    indexMessage(state, message, sender, recipient);
  }
}

/** Appends the next message (seq = count + 1) without indexing it. */
export function appendRestored(state: ChatState, input: Message): Message {
  const i = state.messages.length;
  corrupt(input.seq === i + 1, `message ${i} has seq ${input.seq}`);
  const { seq, id, from, to, text, sentAtMs, clientMsgId } = input;
  const message = Object.freeze({ seq, id, from, to, text, sentAtMs, clientMsgId });
  state.messages.push(message);
  return message;
}

function restoreMessages(state: ChatState, messages: readonly Message[]): void {
  for (const message of messages) restoreMessage(state, message);
}

/** Conversation views (one per side) the indexes hold; each has exactly one read mark. */
export function conversationViewCount(state: ChatState): number {
  let views = 0;
  for (const index of state.indexes.values()) views += index.conversations.size;
  return views;
}

function restoreReadMarks(state: ChatState, marks: readonly ReadMark[]): void {
  const views = conversationViewCount(state);
  corrupt(views === marks.length, `${marks.length} read marks for ${views} conversations`);
  applyReadMarks(state, marks);
}

export function applyReadMarks(state: ChatState, marks: readonly ReadMark[]): void {
  for (const mark of marks) {
    const view = state.indexes.get(mark.accountId)?.conversations.get(mark.peerId);
    corrupt(view, `read mark for unknown conversation ${mark.accountId}/${mark.peerId}`);
    // MarkRead adjusts `unread` by what it marks read, so a wrong count would stay: refuse one.
    corrupt(Number.isSafeInteger(mark.unread) && mark.unread >= 0 && mark.unread <= view.seqs.length,
      `unread ${String(mark.unread)} for conversation ${mark.accountId}/${mark.peerId}`);
    view.readUpToSeq = mark.readUpToSeq;
    view.unread = mark.unread;
  }
}

export function restoreSession(state: ChatState, session: Session): void {
  corrupt(state.accounts.has(session.accountId), "session of an unknown account");
  insertSession(state, Object.freeze({ ...session }));
}

/** Rebuilds a state from a header and its `messageCount` messages (seq 1, 2, …). */
export function restoreSnapshot(header: SnapshotHeader, messages: readonly Message[]): ChatState {
  corrupt(header.format === 1, `unknown format ${String(header.format)}`);
  corrupt(messages.length === header.messageCount, "message count differs from the header");
  const state = createState();
  state.appliedIndex = header.appliedIndex;
  state.lastTs = header.lastTs;
  state.nextAccountId = header.nextAccountId;
  restoreAccounts(state, header.accounts);
  restoreMessages(state, messages);
  restoreReadMarks(state, header.readMarks);
  for (const session of header.sessions) restoreSession(state, session);
  for (const entry of header.requests) rememberOutcome(state, deepFreeze({ ...entry }));
  for (const key of header.sendKeys) rememberSend(state, { ...key });
  invariant(state.accounts.size === header.accounts.length, "accounts lost in restore");
  return state;
}
