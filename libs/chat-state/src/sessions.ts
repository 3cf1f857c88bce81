// Login sessions: created by register/login, revoked by logout, account deletion or the
// per-account cap, and expired by log time `sessionTtlMs` after creation (R21).

import { invariant } from "./errors.js";
import { sessionsPerAccountMax, sessionTtlMs } from "./limits.js";
import { accountIndex, type Account, type ChatState, type Session } from "./state.js";

export function sessionAlive(session: Session, ts: number): boolean {
  return ts < session.createdTs + sessionTtlMs;
}

/** The account behind a live session at log time `ts`, if any. */
export function sessionAccount(
  state: ChatState,
  tokenHash: string,
  ts: number
): Account | undefined {
  if (typeof tokenHash !== "string") return undefined;
  const session = state.sessions.get(tokenHash);
  if (!session || !sessionAlive(session, ts)) return undefined;
  return state.accounts.get(session.accountId);
}

function sessionIsLive(state: ChatState, session: Session): boolean {
  return state.sessions.get(session.tokenHash) === session;
}

/** Adds a session to the tables (also used by snapshot restore). */
export function insertSession(state: ChatState, session: Session): void {
  invariant(!state.sessions.has(session.tokenHash), "session token reused");
  state.sessions.set(session.tokenHash, session);
  state.sessionQueue.push(session);
  accountIndex(state, session.accountId).sessions.add(session.tokenHash);
}

/** Opens a session; the account's oldest one is revoked when it already has the max. */
export function openSession(
  state: ChatState,
  account: Account,
  tokenHash: string,
  ts: number
): void {
  const owned = accountIndex(state, account.id).sessions;
  if (owned.size >= sessionsPerAccountMax) {
    const oldest = owned.values().next();
    if (!oldest.done) revokeSession(state, oldest.value);
  }
  insertSession(state, Object.freeze({ tokenHash, accountId: account.id, createdTs: ts }));
}

export function revokeSession(state: ChatState, tokenHash: string): void {
  const session = state.sessions.get(tokenHash);
  if (!session) return;
  state.sessions.delete(tokenHash);
  state.indexes.get(session.accountId)?.sessions.delete(tokenHash);
  state.sessionQueue.compactIfStale(state.sessions.size, (s) => sessionIsLive(state, s));
}

export function revokeAllSessions(state: ChatState, account: Account): void {
  for (const tokenHash of [...accountIndex(state, account.id).sessions]) {
    revokeSession(state, tokenHash);
  }
}

/** Drops sessions that have expired by log time `ts` (creation order = expiry order). */
export function expireSessions(state: ChatState, ts: number): void {
  const queue = state.sessionQueue;
  for (let s = queue.peek(); s && !sessionAlive(s, ts); s = queue.peek()) {
    queue.shift();
    if (sessionIsLive(state, s)) revokeSession(state, s.tokenHash);
  }
}
