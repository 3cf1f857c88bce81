// The conversation indexes as snapshot rows (format 3), so a restore sets them instead of
// reading every message's sender and recipient. A row is [lowerAccountId, higherAccountId,
// runs], runs a flat list [firstSeq, length, firstSeq, length, …] of the seqs the two share;
// a long conversation takes several consecutive rows. Rows come in the order the
// conversations began (their first seq), so restored maps iterate as the originals do.
// Each account's event list is the merge of its conversations' seqs (invariants.ts).

import { invariant } from "./errors.js";
import type { ChatState, ConversationView } from "./state.js";

export type ConversationRow = [accountId: number, peerId: number, runs: number[]];

/** Runs one row holds at most, so a row stays a bounded part of a snapshot line. */
export const runsPerRowMax = 1_000;

/** Seq runs of an ascending list, as a flat [first, length, …] list. */
export function runsOf(seqs: readonly number[]): number[] {
  const runs: number[] = [];
  for (let i = 0; i < seqs.length;) {
    const first = seqs[i]!;
    let j = i + 1;
    while (j < seqs.length && seqs[j] === first + (j - i)) j++;
    runs.push(first, j - i);
    i = j;
  }
  return runs;
}

/** Every live conversation of the state as rows, split every `runsPerRowMax` runs. */
export function conversationRows(state: ChatState): ConversationRow[] {
  const pairs: [number, number, readonly number[]][] = [];
  for (const [accountId, index] of state.indexes) {
    for (const view of index.conversations.values()) {
      if (accountId > view.peerId || view.seqs.length === 0) continue;
      pairs.push([accountId, view.peerId, view.seqs]);
    }
  }
  pairs.sort((a, b) => a[2][0]! - b[2][0]!);
  const rows: ConversationRow[] = [];
  for (const [accountId, peerId, seqs] of pairs) {
    const runs = runsOf(seqs);
    for (let at = 0; at < runs.length; at += 2 * runsPerRowMax) {
      rows.push([accountId, peerId, runs.slice(at, at + 2 * runsPerRowMax)]);
    }
  }
  return rows;
}

/** Both sides' views of a restored conversation, created by its first row. */
function restoredViews(state: ChatState, accountId: number, peerId: number): ConversationView {
  const a = state.indexes.get(accountId)?.conversations;
  const b = state.indexes.get(peerId)?.conversations;
  invariant(a && b && accountId < peerId, `conversation row ${accountId}/${peerId}`);
  const view = a.get(peerId);
  if (view !== undefined) return view;
  invariant(!b.has(accountId), "conversation known to one side only");
  const seqs: number[] = [];
  a.set(peerId, { peerId, seqs, readUpToSeq: 0, unread: 0 });
  b.set(accountId, { peerId: accountId, seqs, readUpToSeq: 0, unread: 0 });
  return a.get(peerId)!;
}

/**
 * Adds one row's seqs (ascending, within the messages) to its conversation. The runs are all
 * checked before anything changes, then written by index into the grown list: one row may
 * stand for a million seqs, and pushing them one by one blocked the loop for ~100 ms (R9).
 */
export function restoreConversationRow(state: ChatState, row: ConversationRow): void {
  invariant(Array.isArray(row) && row.length === 3 && Array.isArray(row[2]),
    "conversation row is malformed");
  const [accountId, peerId, runs] = row;
  const seqs = restoredViews(state, accountId, peerId).seqs;
  invariant(runs.length % 2 === 0, "conversation runs come in pairs");
  let last = seqs.at(-1) ?? 0;
  let added = 0;
  for (let r = 0; r < runs.length; r += 2) {
    const [first, length] = [runs[r]!, runs[r + 1]!];
    invariant(Number.isSafeInteger(first) && Number.isSafeInteger(length) && length > 0, "bad run");
    invariant(first > last && first + length - 1 <= state.messages.length,
      `run ${first}+${length} out of order or past the messages`);
    last = first + length - 1;
    added += length;
  }
  let at = seqs.length;
  // A conversation's first row gets room to grow (most often its only one: a long run of
  // seqs); later rows grow the list as V8 does (headroom per row would write it every time).
  if (at === 0) growWithHeadroom(seqs, added);
  else seqs.length = at + added;
  for (let r = 0; r < runs.length; r += 2) {
    const end = runs[r]! + runs[r + 1]!;
    for (let seq = runs[r]!; seq < end; seq++) seqs[at++] = seq;
  }
}

/**
 * Sets every account's event list from its conversations (after the rows are restored): the
 * merge of their ascending, disjoint seq lists (a sort of their concatenation took ~300 ms
 * for two million seqs in one go), with room to grow.
 */
export function restoreEvents(state: ChatState): void {
  for (const [accountId, index] of state.indexes) {
    invariant(index.events.length === 0, "events restored twice");
    const lists = [...index.conversations.values()].map((v) => v.seqs);
    // A copy even of a lone conversation's list: that one is shared with the peer.
    const events = lists.length <= 1 ? copyWithHeadroom(lists[0] ?? []) : mergeAscending(lists);
    state.indexes.set(accountId, { ...index, events });
  }
}

/** One new ascending list of two or more ascending lists' values, merged two at a time
 * (O(n log k)). */
function mergeAscending(lists: readonly (readonly number[])[]): number[] {
  invariant(lists.length >= 2, "a merge of two or more lists");
  let round: readonly (readonly number[])[] = lists;
  // Bounded: every round halves the number of lists.
  while (round.length > 1) {
    const next: (readonly number[])[] = [];
    for (let i = 0; i < round.length; i += 2) {
      next.push(i + 1 < round.length ? mergeTwo(round[i]!, round[i + 1]!) : round[i]!);
    }
    round = next;
  }
  return round[0] as number[]; // made by mergeTwo: a new list
}

function mergeTwo(x: readonly number[], y: readonly number[]): number[] {
  const out: number[] = [];
  growWithHeadroom(out, x.length + y.length);
  let [i, j, k] = [0, 0, 0];
  while (i < x.length && j < y.length) out[k++] = x[i]! < y[j]! ? x[i++]! : y[j++]!;
  while (i < x.length) out[k++] = x[i++]!;
  while (j < y.length) out[k++] = y[j++]!;
  return out;
}

/**
 * Sets `list.length` to `length` and leaves its backing store room for half as many again. A
 * list filled by index to exactly its length is at capacity, and V8's first push after that
 * copies all of it: ≈ 35 ms for a million seqs, and on a busy machine the first sends after a
 * restore paused the new primary past its self-pause threshold (R8), which cost an election.
 * (Shrinking the length by a third keeps the store; V8 trims only below half of it.)
 */
function growWithHeadroom(list: number[], length: number): void {
  list.length = length + (length >> 1) + 16;
  list.length = length;
}

function copyWithHeadroom(list: readonly number[]): number[] {
  const out: number[] = [];
  growWithHeadroom(out, list.length);
  for (let i = 0; i < list.length; i++) out[i] = list[i]!;
  return out;
}
