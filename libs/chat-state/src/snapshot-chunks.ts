// Snapshot formats 2 and 3: a small header plus the tables as a sequence of bounded chunks,
// so a node writes, reads and restores a snapshot piece by piece and can yield to its event
// loop between pieces (R9). Format 1 put every table into one header object: at 1M sends that
// is one JSON line of hundreds of MB (longer than a reader accepts, seconds in one parse).
//
// Chunks come in a fixed order — accounts, messages, conversations (format 3), readMarks,
// sessions, requests, sendKeys — each with at most `rowsPerChunk` rows. Rows of the big
// tables are tuples, not objects:
//   message   [id, from, to, text, sentAtMs, clientMsgId]        seq = chunk.from + i
//   request   [requestId, ts, seq] for an accepted send, else the stored entry object
//   sendKey   format 3: [accountId, clientMsgId, seq, ts]; format 2: [accountId, seq, ts]
//             (clientMsgId is the message's: applySend wrote both)
// Format 3 writes `{"t":"messages","from","n","rows"}` (n = rows, readable from the line's
// start) and the conversation indexes (conversation-rows.ts), so a restore needs nothing from
// the messages: a reader may hand their chunks over unparsed (`addUnparsed`), and the state
// parses a page only when it is read (message-log.ts). Format 2 is still read: its indexes are
// rebuilt from the messages. `SnapshotRestorer` checks order, contiguity and counts, and
// rebuilds the same state `restoreSnapshot` builds from format 1.

import {
  restoreConversationRow,
  restoreEvents,
  runsPerRowMax,
  type ConversationRow,
} from "./conversation-rows.js";
import { rememberOutcome, rememberSend } from "./dedup.js";
import { invariant } from "./errors.js";
import { deepFreeze } from "./freeze.js";
import { messageOfRow, pageMessagesMax, type MessageRow, type RowsLoader } from "./message-log.js";
import {
  appendRestored,
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

export type { MessageRow } from "./message-log.js";

export const chunkTables = [
  "accounts", "messages", "conversations", "readMarks", "sessions", "requests", "sendKeys",
] as const;
export type ChunkTable = (typeof chunkTables)[number];

/** The format `snapshotChunks` writes. */
export const chunkedFormat = 3;

/**
 * Rows per chunk: a chunk is one snapshot line of well under 1 MB, restored in a few ms. The
 * message log's pages are the same size, so a sealed page is exactly one messages chunk.
 */
export const snapshotRowsPerChunk = pageMessagesMax;

export interface ChunkedSnapshotHeader {
  readonly format: 2 | 3;
  readonly appliedIndex: number;
  readonly lastTs: number;
  readonly nextAccountId: number;
  readonly messageCount: number;
  /** Rows of each table (messages: `messageCount`); format 2 has no conversations. */
  readonly counts: { readonly [T in ChunkTable]: number };
}

export type RequestRow = [requestId: string, ts: number, seq: number] | DedupEntry;
export type SendKeyRow = [accountId: number, clientMsgId: string, seq: number, ts: number]
  | [accountId: number, seq: number, ts: number];

export type SnapshotChunk =
  | { readonly t: "accounts"; readonly rows: readonly Account[] }
  | {
      readonly t: "messages";
      readonly from: number;
      /** Rows (format 3). */
      readonly n?: number;
      readonly rows: readonly MessageRow[];
    }
  | { readonly t: "conversations"; readonly rows: readonly ConversationRow[] }
  | { readonly t: "readMarks"; readonly rows: readonly ReadMark[] }
  | { readonly t: "sessions"; readonly rows: readonly Session[] }
  | { readonly t: "requests"; readonly rows: readonly RequestRow[] }
  | { readonly t: "sendKeys"; readonly rows: readonly SendKeyRow[] };

export function chunkedHeader(capture: SnapshotCapture): ChunkedSnapshotHeader {
  const h = capture.header;
  return {
    format: chunkedFormat,
    appliedIndex: h.appliedIndex,
    lastTs: h.lastTs,
    nextAccountId: h.nextAccountId,
    messageCount: h.messageCount,
    counts: {
      accounts: h.accounts.length,
      messages: h.messageCount,
      conversations: capture.conversations.length,
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

/** Conversation rows gathered into chunks of at most `rowsPerChunk` rows and runs each. */
function* conversationRuns(
  rows: readonly ConversationRow[],
  rowsPerChunk: number,
): Generator<ConversationRow[]> {
  const runsMax = Math.max(rowsPerChunk, runsPerRowMax);
  let chunk: ConversationRow[] = [];
  let runs = 0;
  for (const row of rows) {
    const rowRuns = row[2].length / 2;
    if (chunk.length > 0 && (chunk.length >= rowsPerChunk || runs + rowRuns > runsMax)) {
      yield chunk;
      [chunk, runs] = [[], 0];
    }
    chunk.push(row);
    runs += rowRuns;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * A messages chunk that is exactly one unparsed page, as its source: the snapshot record a
 * restore read it from (its bytes are checked against their CRC when copied), or the
 * `SealedPage` a full appended page became (the bytes of its record). Either is written again
 * byte for byte instead of parsed and serialised anew: a node otherwise rewrote every message
 * it held at every snapshot. A restored record's rows are not parsed, so their count is
 * checked only when the page is read.
 */
export interface VerbatimChunk {
  readonly t: "verbatim";
  readonly source: unknown;
}

/** The capture's tables as chunks (format 3); messages are read lazily from the live log. */
export function snapshotChunks(capture: SnapshotCapture, rowsPerChunk = snapshotRowsPerChunk):
  Generator<SnapshotChunk> {
  return chunksOf(capture, rowsPerChunk, false) as Generator<SnapshotChunk>;
}

/**
 * `snapshotChunks`, except that a messages chunk that is exactly one unparsed page (restored or
 * sealed) comes as a VerbatimChunk: what a node writes, those pages going as their bytes.
 */
export function snapshotChunksReusingPages(capture: SnapshotCapture, rowsPerChunk = snapshotRowsPerChunk):
  Generator<SnapshotChunk | VerbatimChunk> {
  return chunksOf(capture, rowsPerChunk, true);
}

function* chunksOf(
  capture: SnapshotCapture,
  rowsPerChunk: number,
  reuse: boolean,
): Generator<SnapshotChunk | VerbatimChunk> {
  invariant(Number.isSafeInteger(rowsPerChunk) && rowsPerChunk > 0, "rowsPerChunk must be positive");
  const h = capture.header;
  for (const rows of tableRuns(h.accounts, rowsPerChunk, (a) => a)) yield { t: "accounts", rows };
  for (let from = 1; from <= h.messageCount; from += rowsPerChunk) {
    const to = Math.min(h.messageCount + 1, from + rowsPerChunk);
    const source = reuse ? capture.messages.sourceOf(from, to - from) : undefined;
    if (source !== undefined) yield { t: "verbatim", source };
    else yield { t: "messages", from, n: to - from, rows: [...capture.messages.rows(from, to)] };
  }
  for (const rows of conversationRuns(capture.conversations, rowsPerChunk)) {
    yield { t: "conversations", rows };
  }
  for (const rows of tableRuns(h.readMarks, rowsPerChunk, (m) => m)) yield { t: "readMarks", rows };
  for (const rows of tableRuns(h.sessions, rowsPerChunk, (s) => s)) yield { t: "sessions", rows };
  for (const rows of tableRuns(h.requests, rowsPerChunk, requestRow)) yield { t: "requests", rows };
  const sendKey = (k: SnapshotCapture["header"]["sendKeys"][number]): SendKeyRow =>
    [k.accountId, k.clientMsgId, k.seq, k.ts];
  for (const rows of tableRuns(h.sendKeys, rowsPerChunk, sendKey)) yield { t: "sendKeys", rows };
}

export function isChunkedHeader(header: unknown): header is ChunkedSnapshotHeader {
  if (typeof header !== "object" || header === null) return false;
  const format = (header as { format?: unknown }).format;
  return format === 2 || format === 3;
}

/** Rebuilds a state chunk by chunk; `finish` checks every count and hands the state out. */
export class SnapshotRestorer {
  private readonly state: ChatState = createState();
  private readonly seen: Record<ChunkTable, number> = {
    accounts: 0, messages: 0, conversations: 0, readMarks: 0, sessions: 0, requests: 0, sendKeys: 0,
  };
  private readonly counts: Record<ChunkTable, number>;
  private stage = 0;
  private eventsRestored = false;
  private finished = false;

  constructor(private readonly header: ChunkedSnapshotHeader) {
    corrupt(isChunkedHeader(header), `unknown format ${String((header as { format?: unknown }).format)}`);
    corrupt(typeof header.counts === "object" && header.counts !== null, "header without counts");
    corrupt(header.counts.messages === header.messageCount, "message count differs from the header");
    const conversations = header.format === 2 ? 0 : header.counts.conversations;
    corrupt(Number.isSafeInteger(conversations), "header without a conversation count");
    this.counts = { ...header.counts, conversations };
    this.state.appliedIndex = header.appliedIndex;
    this.state.lastTs = header.lastTs;
    this.state.nextAccountId = header.nextAccountId;
  }

  add(value: unknown): void {
    const chunk = value as SnapshotChunk;
    corrupt(typeof chunk === "object" && chunk !== null && Array.isArray(chunk.rows), "chunk without rows");
    this.enter(chunk.t, chunk.rows.length);
    this.restoreChunk(chunk);
  }

  /**
   * A messages chunk of `count` rows from seq `from`, not parsed: `load` parses its rows when
   * they are read (format 3; a format 2 restore needs them now to rebuild the indexes).
   * `source`: the record the chunk was read from, which a later snapshot may write as is.
   */
  addUnparsed(from: number, count: number, load: RowsLoader, source?: unknown): void {
    if (this.header.format === 2) {
      this.add({ t: "messages", from, rows: load() });
      return;
    }
    this.enter("messages", count);
    corrupt(from === this.state.messages.length + 1, `messages chunk from ${from}`);
    this.state.messages.pushUnparsed(from, count, load, source);
  }

  finish(): ChatState {
    corrupt(!this.finished, "restore finished twice");
    this.leaveConversations();
    this.finished = true;
    for (const table of chunkTables) {
      const [seen, wanted] = [this.seen[table], this.counts[table]];
      corrupt(seen === wanted, `${seen} ${table} of ${wanted}`);
    }
    const views = conversationViewCount(this.state);
    const marks = this.counts.readMarks;
    corrupt(views === marks, `${marks} read marks for ${views} conversations`);
    invariant(this.state.accounts.size === this.counts.accounts, "accounts lost in restore");
    return this.state;
  }

  /** Checks a chunk of `rows` rows of `table` may come now, and counts it. */
  private enter(table: ChunkTable, rows: number): void {
    corrupt(!this.finished, "chunk after the end");
    const stage = chunkTables.indexOf(table);
    corrupt(stage >= this.stage, `chunk of ${String(table)} out of order`);
    this.stage = stage;
    if (stage > chunkTables.indexOf("conversations")) this.leaveConversations();
    this.seen[table] += rows;
    corrupt(this.seen[table] <= this.counts[table], `more ${table} than the header says`);
  }

  /** Format 3: the event lists follow from the conversations once all are restored. */
  private leaveConversations(): void {
    if (this.eventsRestored || this.header.format === 2) return;
    this.eventsRestored = true;
    restoreEvents(this.state);
  }

  private restoreChunk(chunk: SnapshotChunk): void {
    const state = this.state;
    switch (chunk.t) {
      case "accounts":
        restoreAccounts(state, chunk.rows);
        return;
      case "messages":
        this.restoreMessages(chunk.from, chunk.rows);
        return;
      case "conversations":
        corrupt(this.header.format === 3, "conversations in a format 2 snapshot");
        for (const row of chunk.rows) restoreConversationRow(state, row);
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

  private restoreMessages(from: number, rows: readonly MessageRow[]): void {
    const state = this.state;
    corrupt(from === state.messages.length + 1, `messages chunk from ${from}`);
    const restore = this.header.format === 2 ? restoreMessage : appendRestored;
    for (const [i, row] of rows.entries()) {
      corrupt(Array.isArray(row) && row.length === 6, `message ${from + i} is not a row`);
      restore(state, messageOfRow(from + i, row));
    }
  }
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
  corrupt(Array.isArray(row) && (row.length === 3 || row.length === 4),
    "send key row is malformed");
  if (row.length === 4) {
    const [accountId, clientMsgId, seq, ts] = row;
    corrupt(typeof clientMsgId === "string" && seq >= 1 && seq <= state.messages.length,
      `send key for unknown message ${seq}`);
    return { accountId, clientMsgId, seq, ts };
  }
  const [accountId, seq, ts] = row;
  const message = state.messages.at(seq);
  corrupt(message !== undefined, `send key for unknown message ${seq}`);
  return { accountId, clientMsgId: message.clientMsgId, seq, ts };
}

/** All at once (tests, small states): the chunks of a capture back into a state. */
export function restoreChunked(header: ChunkedSnapshotHeader, chunks: Iterable<unknown>): ChatState {
  const restorer = new SnapshotRestorer(header);
  for (const chunk of chunks) restorer.add(chunk);
  return restorer.finish();
}
