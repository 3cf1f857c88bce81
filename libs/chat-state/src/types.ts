// The domain values the state machine hands out: messages, unread counts, and the
// `Outcome` every command returns. All plain JSON-serialisable data.

import type { ChatError } from "./errors.js";

/** One chat message. Never mutated or removed once appended. */
export interface Message {
  /** Commit order: 1, 2, 3, … — one order for all readers. */
  readonly seq: number;
  /** Random id minted by the node. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  /** Wall-clock time at the node, for display only; never used for decisions. */
  readonly sentAtMs: number;
  readonly clientMsgId: string;
}

export interface UnreadCount {
  readonly peer: string;
  readonly count: number;
}

export type Outcome<V> =
  | { readonly ok: true; readonly value: V }
  | { readonly ok: false; readonly error: ChatError };

export function ok<V>(value: V): Outcome<V> {
  return { ok: true, value };
}

export function fail<V = never>(error: ChatError): Outcome<V> {
  return { ok: false, error };
}
