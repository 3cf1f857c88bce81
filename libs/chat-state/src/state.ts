// The shape of the chat state, its constructor, and the account table. Durable parts
// (accounts, sessions, dedup tables, read marks, messages) go into snapshots; the indexes
// (sorted names, per-account seq lists, conversation seq lists) are rebuilt from them, or
// restored with them (snapshot format 3).
// Maps are insertion-ordered and every table is appended to in log-time order, so expiry
// pops from the front and iteration order is part of the deterministic state.

import type { AuthResult, DeleteAccountResult, LogoutResult, MarkReadResult } from "./commands.js";
import { invariant } from "./errors.js";
import { FifoQueue } from "./fifo.js";
import { MessageLog } from "./message-log.js";
import { firstIndexAtLeast } from "./search.js";
import type { Message, Outcome } from "./types.js";

export interface Account {
  /** Unique for ever: a re-registered name gets a new id, so nothing old is reachable. */
  readonly id: number;
  readonly username: string;
  readonly passwordHash: string;
  /** lastSeq + 1 at registration: messages naming this user before it belong to others. */
  readonly firstSeq: number;
  readonly createdTs: number;
}

export interface Session {
  readonly tokenHash: string;
  readonly accountId: number;
  readonly createdTs: number;
}

/** One account's side of a conversation. Both sides share the same `seqs` array. */
export interface ConversationView {
  readonly peerId: number;
  /** Seqs of every message between the two accounts, ascending. */
  readonly seqs: number[];
  readUpToSeq: number;
  /** Messages from the peer with seq > readUpToSeq. */
  unread: number;
}

/** Derived per-account indexes. */
export interface AccountIndex {
  /** Live session token hashes, oldest first. */
  readonly sessions: Set<string>;
  /** Seqs of every message to or from the account, ascending (for eventsAfter). */
  readonly events: number[];
  readonly conversations: Map<number, ConversationView>;
}

export interface SendKey {
  readonly accountId: number;
  readonly clientMsgId: string;
  readonly seq: number;
  readonly ts: number;
}

interface DedupBase<K, V> {
  readonly requestId: string;
  readonly kind: K;
  readonly ts: number;
  readonly outcome: Outcome<V>;
}

/** A stored outcome (R21). Sends keep only the seq; the message is in `messages`. */
export type DedupEntry =
  | DedupBase<"register" | "login", AuthResult>
  | DedupBase<"logout", LogoutResult>
  | DedupBase<"delete-account", DeleteAccountResult>
  | DedupBase<"send", { readonly seq: number }>
  | DedupBase<"mark-read", MarkReadResult>;

export interface ChatState {
  /** Index and log time of the last applied command (both non-decreasing). */
  appliedIndex: number;
  lastTs: number;
  nextAccountId: number;
  /** Live accounts by id, in registration order. */
  readonly accounts: Map<number, Account>;
  readonly accountIds: Map<string, number>;
  /** Live usernames, ascending. */
  readonly usernames: string[];
  readonly sessions: Map<string, Session>;
  readonly requests: Map<string, DedupEntry>;
  /** Keyed by `sendKeyOf(accountId, clientMsgId)`. */
  readonly sendKeys: Map<string, SendKey>;
  /** The three tables above in insertion (= log time) order, for expiry from the front. */
  readonly sessionQueue: FifoQueue<Session>;
  readonly requestQueue: FifoQueue<DedupEntry>;
  readonly sendKeyQueue: FifoQueue<SendKey>;
  /** Every message by seq, some pages possibly unparsed (message-log.ts). */
  readonly messages: MessageLog;
  readonly indexes: Map<number, AccountIndex>;
}

export function createState(): ChatState {
  return {
    appliedIndex: 0,
    lastTs: 0,
    nextAccountId: 1,
    accounts: new Map(),
    accountIds: new Map(),
    usernames: [],
    sessions: new Map(),
    requests: new Map(),
    sendKeys: new Map(),
    sessionQueue: new FifoQueue(),
    requestQueue: new FifoQueue(),
    sendKeyQueue: new FifoQueue(),
    messages: new MessageLog(),
    indexes: new Map(),
  };
}

export function accountByName(state: ChatState, username: string): Account | undefined {
  const id = state.accountIds.get(username);
  return id === undefined ? undefined : state.accounts.get(id);
}

export function accountIndex(state: ChatState, accountId: number): AccountIndex {
  const index = state.indexes.get(accountId);
  invariant(index, `account ${accountId} has no index`);
  return index;
}

export function messageAt(state: ChatState, seq: number): Message {
  const message = state.messages.at(seq);
  invariant(message && message.seq === seq, `no message with seq ${seq}`);
  return message;
}

/** Adds an account (already validated and free) to the tables and indexes. */
export function insertAccount(state: ChatState, account: Account): void {
  invariant(!state.accountIds.has(account.username), `${account.username} exists`);
  invariant(!state.accounts.has(account.id), `account id ${account.id} reused`);
  state.accounts.set(account.id, account);
  state.accountIds.set(account.username, account.id);
  state.usernames.splice(firstIndexAtLeast(state.usernames, account.username), 0, account.username);
  state.indexes.set(account.id, { sessions: new Set(), events: [], conversations: new Map() });
  state.nextAccountId = Math.max(state.nextAccountId, account.id + 1);
}

/** Removes an account from the tables; the caller has already dropped its sessions etc. */
export function dropAccount(state: ChatState, account: Account): void {
  state.accounts.delete(account.id);
  state.accountIds.delete(account.username);
  state.indexes.delete(account.id);
  const at = firstIndexAtLeast(state.usernames, account.username);
  invariant(state.usernames[at] === account.username, `${account.username} not in name list`);
  state.usernames.splice(at, 1);
}
