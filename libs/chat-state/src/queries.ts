// Pure reads over the state, for the node's read RPCs. None of them changes anything;
// arguments from clients are validated here and bad ones come back as a ChatError.

import { unreadOf } from "./conversations.js";
import { chatError, errors, type ChatError } from "./errors.js";
import {
  historyLimitDefault,
  historyLimitMax,
  listUsersLimitDefault,
  listUsersLimitMax,
} from "./limits.js";
import { firstIndexAbove, firstIndexAtLeast } from "./search.js";
import { sessionAccount } from "./sessions.js";
import { accountByName, accountIndex, messageAt, type Account, type ChatState } from "./state.js";
import type { Message, UnreadCount } from "./types.js";
import { normalizeUsername, pageLimit, validatePattern, validateSeq } from "./validate.js";
import { literalPrefix, matchesPattern } from "./wildcard.js";

/** The user behind a token hash, if its session is live at log time `nowTs`. */
export function authenticate(
  state: ChatState,
  tokenHash: string,
  nowTs: number
): { username: string } | ChatError {
  const account = sessionAccount(state, tokenHash, nowTs);
  return account ? { username: account.username } : errors.sessionInvalid();
}

/** For the node's Login: the stored password hash to verify the password against. */
export function findAccount(
  state: ChatState,
  username: string
): { username: string; passwordHash: string } | undefined {
  const normalized = normalizeUsername(username);
  if (typeof normalized !== "string") return undefined;
  const account = accountByName(state, normalized);
  return account && { username: account.username, passwordHash: account.passwordHash };
}

export interface ListUsersRequest {
  readonly pattern?: string;
  /** 0 or absent: the default page size. */
  readonly limit?: number;
  /** "" or absent: the first page; otherwise a previous `nextPageToken`. */
  readonly pageToken?: string;
}

export interface ListUsersPage {
  readonly users: { username: string; online: boolean }[];
  /** "" when there is nothing after this page. */
  readonly nextPageToken: string;
}

/** Users matching the pattern, ascending by name; the page token is the last name shown. */
export function listUsers(
  state: ChatState,
  request: ListUsersRequest,
  isOnline: (username: string) => boolean
): ListUsersPage | ChatError {
  const pattern = request.pattern ?? "";
  const invalid = validatePattern(pattern);
  if (invalid) return invalid;
  const limit = pageLimit(request.limit, listUsersLimitDefault, listUsersLimitMax);
  if (typeof limit !== "number") return limit;
  const after = request.pageToken ?? "";
  if (after !== "" && typeof normalizeUsername(after) !== "string") {
    return chatError("invalid-argument", "invalid page token");
  }
  const prefix = literalPrefix(pattern);
  const names = state.usernames;
  let i = Math.max(firstIndexAbove(names, after), firstIndexAtLeast(names, prefix));
  const users: { username: string; online: boolean }[] = [];
  for (; i < names.length; i++) {
    const username = names[i] as string;
    if (!username.startsWith(prefix)) break; // names are sorted: no later one matches
    if (!matchesPattern(pattern, username)) continue;
    if (users.length === limit) return { users, nextPageToken: users[limit - 1]?.username ?? "" };
    users.push({ username, online: isOnline(username) });
  }
  return { users, nextPageToken: "" };
}

function conversationParties(
  state: ChatState,
  username: string,
  peerInput: string
): { self: Account; peer: Account } | ChatError {
  const self = accountByName(state, username);
  if (!self) return errors.unknownUser(username);
  const peerName = normalizeUsername(peerInput);
  if (typeof peerName !== "string") return peerName;
  if (peerName === self.username) return errors.selfConversation();
  const peer = accountByName(state, peerName);
  return peer ? { self, peer } : errors.unknownUser(peerName);
}

export interface HistoryRequest {
  readonly peer: string;
  /** 0 or absent: up to the newest message. */
  readonly beforeSeq?: number;
  /** 0 or absent: the default. */
  readonly limit?: number;
}

/** The newest `limit` messages between `username` and the peer with seq < beforeSeq. */
export function history(
  state: ChatState,
  username: string,
  request: HistoryRequest
): Message[] | ChatError {
  const parties = conversationParties(state, username, request.peer);
  if ("kind" in parties) return parties;
  const beforeSeq = request.beforeSeq ?? 0;
  const invalid = validateSeq("before_seq", beforeSeq);
  if (invalid) return invalid;
  const limit = pageLimit(request.limit, historyLimitDefault, historyLimitMax);
  if (typeof limit !== "number") return limit;
  const view = accountIndex(state, parties.self.id).conversations.get(parties.peer.id);
  if (!view) return [];
  const end = beforeSeq === 0 ? view.seqs.length : firstIndexAtLeast(view.seqs, beforeSeq);
  const start = Math.max(0, end - limit);
  return view.seqs.slice(start, end).map((seq) => messageAt(state, seq));
}

/** Every message to or from `username` with seq > afterSeq, in seq order, at most `max`. */
export function eventsAfter(
  state: ChatState,
  username: string,
  afterSeq: number,
  max: number
): Message[] | ChatError {
  const self = accountByName(state, username);
  if (!self) return errors.unknownUser(username);
  const invalid = validateSeq("after_seq", afterSeq);
  if (invalid) return invalid;
  if (!Number.isSafeInteger(max) || max < 1) {
    return chatError("invalid-argument", "max must be a positive integer");
  }
  const events = accountIndex(state, self.id).events;
  const start = firstIndexAbove(events, afterSeq);
  return events.slice(start, start + max).map((seq) => messageAt(state, seq));
}

/** Peers with unread messages for `username` (count > 0), ascending by peer. */
export function unreadCounts(state: ChatState, username: string): UnreadCount[] {
  const account = accountByName(state, username);
  return account ? unreadOf(state, account) : [];
}

/** The seq of the newest message (0 when there is none). */
export function lastSeq(state: ChatState): number {
  return state.messages.length;
}

/**
 * True when a command with this `chat-request-id` was already applied (and its outcome is
 * still kept, R21): the node then proposes a retry as it is, and apply replays the first
 * outcome, even where a fresh call would now fail (a Logout retried after it succeeded).
 */
export function isKnownRequest(state: ChatState, requestId: string): boolean {
  return state.requests.has(requestId);
}
