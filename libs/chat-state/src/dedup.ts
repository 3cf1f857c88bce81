// The two dedup tables of R21: outcomes by chat-request-id, and sends by
// (sender account id, client_msg_id). Entries expire `dedupRetainMs` of log time after
// they were written; both tables are capped, evicting the oldest entry first.

import type { Command, CommandOutcome } from "./commands.js";
import { assertNever, invariant } from "./errors.js";
import { deepFreeze } from "./freeze.js";
import { dedupRetainMs, requestDedupEntriesMax, sendDedupEntriesMax } from "./limits.js";
import { messageAt, type ChatState, type DedupEntry, type SendKey } from "./state.js";
import { fail, ok } from "./types.js";

export function sendKeyOf(accountId: number, clientMsgId: string): string {
  return `${accountId}:${clientMsgId}`; // the id has no colon, so the key is unambiguous
}

function keyOfSend(entry: SendKey): string {
  return sendKeyOf(entry.accountId, entry.clientMsgId);
}

function requestIsLive(state: ChatState, entry: DedupEntry): boolean {
  return state.requests.get(entry.requestId) === entry;
}

function sendKeyIsLive(state: ChatState, entry: SendKey): boolean {
  return state.sendKeys.get(keyOfSend(entry)) === entry;
}

/** Pops the oldest request entry (or a stale queue item) and forgets it. */
function dropOldestRequest(state: ChatState): void {
  const entry = state.requestQueue.shift();
  if (entry && requestIsLive(state, entry)) state.requests.delete(entry.requestId);
}

function dropOldestSendKey(state: ChatState): void {
  const entry = state.sendKeyQueue.shift();
  if (entry && sendKeyIsLive(state, entry)) state.sendKeys.delete(keyOfSend(entry));
}

export function expireDedup(state: ChatState, ts: number): void {
  const expired = (entry: { readonly ts: number } | undefined) =>
    entry !== undefined && ts >= entry.ts + dedupRetainMs;
  while (expired(state.requestQueue.peek())) dropOldestRequest(state);
  while (expired(state.sendKeyQueue.peek())) dropOldestSendKey(state);
}

/**
 * Builds the stored form of an outcome. A send keeps only its seq (the hot path: nothing
 * else to copy or freeze); other outcomes are also handed to the caller, so they are frozen.
 */
export function storedEntry(command: Command, outcome: CommandOutcome, ts: number): DedupEntry {
  const { requestId } = command;
  if (command.kind === "send" && outcome.ok) {
    invariant("message" in outcome.value, "send outcome without a message");
    const value = { seq: outcome.value.message.seq };
    return { requestId, kind: "send", ts, outcome: { ok: true, value } };
  }
  // Each handler returns the result type of its own kind, so the pairing below holds.
  return deepFreeze({ requestId, kind: command.kind, ts, outcome } as DedupEntry);
}

export function rememberOutcome(state: ChatState, entry: DedupEntry): void {
  invariant(!state.requests.has(entry.requestId), "request id stored twice");
  state.requests.set(entry.requestId, entry);
  state.requestQueue.push(entry);
  while (state.requests.size > requestDedupEntriesMax) dropOldestRequest(state);
}

/** Turns a stored entry back into the outcome the first call returned. */
export function replayOutcome(state: ChatState, entry: DedupEntry): CommandOutcome {
  switch (entry.kind) {
    case "send":
      if (!entry.outcome.ok) return fail(entry.outcome.error);
      return ok({ message: messageAt(state, entry.outcome.value.seq), duplicate: true });
    case "register":
    case "login":
    case "logout":
    case "delete-account":
    case "mark-read":
      return entry.outcome;
    default:
      return assertNever(entry);
  }
}

export function rememberSend(state: ChatState, entry: SendKey): void {
  const key = keyOfSend(entry);
  invariant(!state.sendKeys.has(key), "send key stored twice");
  state.sendKeys.set(key, entry);
  state.sendKeyQueue.push(entry);
  while (state.sendKeys.size > sendDedupEntriesMax) dropOldestSendKey(state);
}

/** DeleteAccount purges the account's send keys (R21), so nothing of it lingers. */
export function purgeSendKeys(state: ChatState, accountId: number): void {
  for (const [key, entry] of state.sendKeys) {
    if (entry.accountId === accountId) state.sendKeys.delete(key);
  }
  state.sendKeyQueue.compactIfStale(state.sendKeys.size, (entry) => sendKeyIsLive(state, entry));
}
