// A full consistency check of the state: the tables against each other and every index
// against the messages. O(state size), so tests and the simulator call it, not apply.

import { countUnread } from "./conversations.js";
import { invariant } from "./errors.js";
import { sendKeyOf } from "./dedup.js";
import { accountIndex, messageAt, type Account, type ChatState } from "./state.js";

function checkAscending(values: readonly number[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    invariant((values[i - 1] as number) < (values[i] as number), `${what} not ascending`);
  }
}

function checkTimeOrder(times: Iterable<number>, lastTs: number, what: string): void {
  let previous = -Infinity;
  for (const ts of times) {
    invariant(ts >= previous && ts <= lastTs, `${what} out of log-time order`);
    previous = ts;
  }
}

function checkAccounts(state: ChatState): void {
  invariant(state.accountIds.size === state.accounts.size, "name table size");
  invariant(state.indexes.size === state.accounts.size, "index table size");
  invariant(state.usernames.length === state.accounts.size, "sorted name list size");
  for (let i = 1; i < state.usernames.length; i++) {
    invariant((state.usernames[i - 1] as string) < (state.usernames[i] as string), "name order");
  }
  for (const [id, account] of state.accounts) {
    invariant(account.id === id && id < state.nextAccountId, `account id ${id}`);
    invariant(state.accountIds.get(account.username) === id, `name of account ${id}`);
    invariant(account.firstSeq <= state.messages.length + 1, `firstSeq of account ${id}`);
  }
}

function checkConversations(state: ChatState, owner: Account): void {
  const index = accountIndex(state, owner.id);
  let total = 0;
  for (const [peerId, view] of index.conversations) {
    const peer = state.accounts.get(peerId);
    invariant(peer && view.peerId === peerId, `conversation ${owner.id}/${peerId}`);
    const mirror = accountIndex(state, peerId).conversations.get(owner.id);
    invariant(mirror && mirror.seqs === view.seqs, `conversation ${owner.id}/${peerId} unshared`);
    checkAscending(view.seqs, "conversation seqs");
    for (const seq of view.seqs) {
      const message = messageAt(state, seq);
      const names = [message.from, message.to].sort().join("/");
      invariant(
        names === [owner.username, peer.username].sort().join("/"),
        `message ${seq} misfiled`
      );
      invariant(
        seq >= owner.firstSeq && seq >= peer.firstSeq,
        `message ${seq} predates an account`
      );
    }
    invariant(view.readUpToSeq <= state.messages.length, "read mark beyond the last seq");
    invariant(view.unread === countUnread(state, owner, view), `unread ${owner.id}/${peerId}`);
    total += view.seqs.length;
  }
  checkAscending(index.events, "events");
  invariant(index.events.length === total, `events of account ${owner.id}`);
}

function checkSessions(state: ChatState): void {
  let owned = 0;
  for (const index of state.indexes.values()) owned += index.sessions.size;
  invariant(owned === state.sessions.size, "session sets disagree with the session table");
  for (const [tokenHash, session] of state.sessions) {
    invariant(session.tokenHash === tokenHash, "session key");
    invariant(accountIndex(state, session.accountId).sessions.has(tokenHash), "session owner");
  }
  checkTimeOrder(
    [...state.sessions.values()].map((s) => s.createdTs),
    state.lastTs,
    "sessions"
  );
}

/** Throws when any invariant of the state is broken. */
export function checkInvariants(state: ChatState): void {
  let seq = 0;
  for (const message of state.messages) invariant(message.seq === ++seq, `seq at ${seq}`);
  checkAccounts(state);
  for (const account of state.accounts.values()) checkConversations(state, account);
  checkSessions(state);
  checkTimeOrder(
    [...state.requests.values()].map((e) => e.ts),
    state.lastTs,
    "requests"
  );
  checkTimeOrder(
    [...state.sendKeys.values()].map((e) => e.ts),
    state.lastTs,
    "send keys"
  );
  for (const [key, entry] of state.sendKeys) {
    invariant(key === sendKeyOf(entry.accountId, entry.clientMsgId), "send key");
    invariant(entry.seq >= 1 && entry.seq <= state.messages.length, "send key seq");
  }
}
