// Snapshot format 2: a small header plus the tables as a sequence of bounded chunks, so a
// node writes, reads and restores a snapshot piece by piece and can yield to its event loop
// between pieces (R9). Format 1 put every table into one header object: at 1M sends that is
// one JSON line of hundreds of MB (longer than a reader accepts, seconds in one parse).
//
// Chunks come in a fixed order — accounts, messages, readMarks, sessions, requests, sendKeys —
// each with at most `rowsPerChunk` rows. Rows of the big tables are tuples, not objects:
//   message   [id, from, to, text, sentAtMs, clientMsgId]        seq = chunk.from + i
//   request   [requestId, ts, seq] for an accepted send, else the stored entry object
//   sendKey   [accountId, seq, ts]       clientMsgId is the message's (applySend wrote both)
// `SnapshotRestorer` checks order, contiguity and counts, and rebuilds the same state
// `restoreSnapshot` builds from format 1 (the indexes included).

import { rememberOutcome, rememberSend } from "./dedup.js";
import { invariant } from "./errors.js";
import { deepFreeze } from "./freeze.js";
import {
  applyReadMarks,
  conversationViewCount,
  corrupt,
  restoreAccounts,
  restoreMessage,
  restoreSession,
  type ReadMark,
  type SnapshotCapture,
} from "./snapshot.js";
import { createState, type Account, type ChatState, type DedupEntry, type Session } from "./state.js";
import type { Message } from "./types.js";

export const chunkTables = ["accounts", "messages", "readMarks", "sessions", "requests", "sendKeys"] as const;
export type ChunkTable = (typeof chunkTables)[number];

/** Rows per chunk: a chunk is one snapshot line of well under 1 MB, restored in a few ms. */
export const snapshotRowsPerChunk = 2_000;

export interface ChunkedSnapshotHeader {
  readonly format: 2;
  readonly appliedIndex: number;
  readonly lastTs: number;
  readonly nextAccountId: number;
  readonly messageCount: number;
  /** Rows of each table (messages: `messageCount`). */
  readonly counts: { readonly [T in ChunkTable]: number };
}

export type MessageRow = [id: string, from: string, to: string, text: string, sentAtMs: number,
  clientMsgId: string];
export type RequestRow = [requestId: string, ts: number, seq: number] | DedupEntry;
export type SendKeyRow = [accountId: number, seq: number, ts: number];

export type SnapshotChunk =
  | { readonly t: "accounts"; readonly rows: readonly Account[] }
  | { readonly t: "messages"; readonly from: number; readonly rows: readonly MessageRow[] }
  | { readonly t: "readMarks"; readonly rows: readonly ReadMark[] }
  | { readonly t: "sessions"; readonly rows: readonly Session[] }
  | { readonly t: "requests"; readonly rows: readonly RequestRow[] }
  | { readonly t: "sendKeys"; readonly rows: readonly SendKeyRow[] };

export function chunkedHeader(capture: SnapshotCapture): ChunkedSnapshotHeader {
  const h = capture.header;
  return {
    format: 2,
    appliedIndex: h.appliedIndex,
    lastTs: h.lastTs,
    nextAccountId: h.nextAccountId,
    messageCount: h.messageCount,
    counts: {
      accounts: h.accounts.length,
      messages: h.messageCount,
      readMarks: h.readMarks.length,
      sessions: h.sessions.length,
      requests: h.requests.length,
      sendKeys: h.sendKeys.length,
    },
  };
}

function requestRow(entry: DedupEntry): RequestRow {
  if (entry.kind === "send" && entry.outcome.ok) {
    return [entry.requestId, entry.ts, entry.outcome.value.seq];
  }
  return entry;
}

function* tableRuns<T, R>(items: readonly T[], rowsPerChunk: number, row: (item: T) => R): Generator<R[]> {
  for (let from = 0; from < items.length; from += rowsPerChunk) {
    yield items.slice(from, from + rowsPerChunk).map(row);
  }
}

/** The capture's tables as chunks; messages are read lazily from the live append-only array. */
export function* snapshotChunks(
  capture: SnapshotCapture,
  rowsPerChunk: number = snapshotRowsPerChunk,
): Generator<SnapshotChunk> {
  invariant(Number.isSafeInteger(rowsPerChunk) && rowsPerChunk > 0, "rowsPerChunk must be positive");
  const h = capture.header;
  for (const rows of tableRuns(h.accounts, rowsPerChunk, (a) => a)) yield { t: "accounts", rows };
  for (let from = 0; from < h.messageCount; from += rowsPerChunk) {
    const to = Math.min(h.messageCount, from + rowsPerChunk);
    const rows = capture.messages.slice(from, to).map((m): MessageRow =>
      [m.id, m.from, m.to, m.text, m.sentAtMs, m.clientMsgId]);
    yield { t: "messages", from: from + 1, rows };
  }
  for (const rows of tableRuns(h.readMarks, rowsPerChunk, (m) => m)) yield { t: "readMarks", rows };
  for (const rows of tableRuns(h.sessions, rowsPerChunk, (s) => s)) yield { t: "sessions", rows };
  for (const rows of tableRuns(h.requests, rowsPerChunk, requestRow)) yield { t: "requests", rows };
  for (const rows of tableRuns(h.sendKeys, rowsPerChunk, (k): SendKeyRow => [k.accountId, k.seq, k.ts])) {
    yield { t: "sendKeys", rows };
  }
}

export function isChunkedHeader(header: unknown): header is ChunkedSnapshotHeader {
  return typeof header === "object" && header !== null && (header as { format?: unknown }).format === 2;
}

/** Rebuilds a state chunk by chunk; `finish` checks every count and hands the state out. */
export class SnapshotRestorer {
  private readonly state: ChatState = createState();
  private readonly seen: Record<ChunkTable, number> = {
    accounts: 0, messages: 0, readMarks: 0, sessions: 0, requests: 0, sendKeys: 0,
  };
  private stage = 0;
  private finished = false;

  constructor(private readonly header: ChunkedSnapshotHeader) {
    corrupt(isChunkedHeader(header), `unknown format ${String((header as { format?: unknown }).format)}`);
    corrupt(typeof header.counts === "object" && header.counts !== null, "header without counts");
    corrupt(header.counts.messages === header.messageCount, "message count differs from the header");
    this.state.appliedIndex = header.appliedIndex;
    this.state.lastTs = header.lastTs;
    this.state.nextAccountId = header.nextAccountId;
  }

  add(value: unknown): void {
    corrupt(!this.finished, "chunk after the end");
    const chunk = value as SnapshotChunk;
    corrupt(typeof chunk === "object" && chunk !== null && Array.isArray(chunk.rows), "chunk without rows");
    const stage = chunkTables.indexOf(chunk.t);
    corrupt(stage >= this.stage, `chunk of ${String(chunk.t)} out of order`);
    this.stage = stage;
    this.seen[chunk.t] += chunk.rows.length;
    corrupt(this.seen[chunk.t] <= this.header.counts[chunk.t], `more ${chunk.t} than the header says`);
    this.restoreChunk(chunk);
  }

  finish(): ChatState {
    corrupt(!this.finished, "restore finished twice");
    this.finished = true;
    for (const table of chunkTables) {
      const [seen, wanted] = [this.seen[table], this.header.counts[table]];
      corrupt(seen === wanted, `${seen} ${table} of ${wanted}`);
    }
    const views = conversationViewCount(this.state);
    const marks = this.header.counts.readMarks;
    corrupt(views === marks, `${marks} read marks for ${views} conversations`);
    invariant(this.state.accounts.size === this.header.counts.accounts, "accounts lost in restore");
    return this.state;
  }

  private restoreChunk(chunk: SnapshotChunk): void {
    const state = this.state;
    switch (chunk.t) {
      case "accounts":
        restoreAccounts(state, chunk.rows);
        return;
      case "messages":
        corrupt(chunk.from === state.messages.length + 1, `messages chunk from ${chunk.from}`);
        for (const [i, row] of chunk.rows.entries()) restoreMessage(state, messageOf(chunk.from + i, row));
        return;
      case "readMarks":
        applyReadMarks(state, chunk.rows);
        return;
      case "sessions":
        for (const session of chunk.rows) restoreSession(state, session);
        return;
      case "requests":
        for (const row of chunk.rows) rememberOutcome(state, requestEntry(row));
        return;
      case "sendKeys":
        for (const row of chunk.rows) rememberSend(state, sendKeyOfRow(state, row));
        return;
      default: {
        const never: never = chunk;
        corrupt(false, `unknown chunk ${JSON.stringify((never as { t?: unknown }).t)}`);
      }
    }
  }
}

function messageOf(seq: number, row: MessageRow): Message {
  corrupt(Array.isArray(row) && row.length === 6, `message ${seq} is not a row`);
  const [id, from, to, text, sentAtMs, clientMsgId] = row;
  return { seq, id, from, to, text, sentAtMs, clientMsgId };
}

/** The same shape `storedEntry` gives an accepted send (not frozen there either). */
function requestEntry(row: RequestRow): DedupEntry {
  if (!Array.isArray(row)) {
    corrupt(typeof row === "object" && row !== null, "request entry is not an object");
    return deepFreeze({ ...row });
  }
  const [requestId, ts, seq] = row;
  corrupt(typeof requestId === "string" && Number.isSafeInteger(seq), "request row is malformed");
  return { requestId, kind: "send", ts, outcome: { ok: true, value: { seq } } };
}

function sendKeyOfRow(state: ChatState, row: SendKeyRow): { accountId: number; clientMsgId: string;
  seq: number; ts: number } {
  corrupt(Array.isArray(row) && row.length === 3, "send key row is malformed");
  const [accountId, seq, ts] = row;
  const message = state.messages[seq - 1];
  corrupt(message !== undefined, `send key for unknown message ${seq}`);
  return { accountId, clientMsgId: message.clientMsgId, seq, ts };
}

/** All at once (tests, small states): the chunks of a capture back into a state. */
export function restoreChunked(header: ChunkedSnapshotHeader, chunks: Iterable<unknown>): ChatState {
  const restorer = new SnapshotRestorer(header);
  for (const chunk of chunks) restorer.add(chunk);
  return restorer.finish();
}
