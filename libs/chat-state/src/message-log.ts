// The message table: every message by seq (1, 2, 3, …), append-only, in pages. A page
// restored from a snapshot may stay unparsed: it holds a function that parses its rows on
// first use (a pure function of bytes the caller keeps), and at most `parsedPagesMax` such
// pages keep their parsed messages, the oldest parsed dropped first. So a 1M-message restore
// costs neither a million objects nor their parse, and memory stays bounded after reads of
// old history. Every read gives the same messages whichever pages are parsed.
//
// Pages appended in memory end on the snapshot's chunk grid (seq k·pageSize, where
// `snapshotChunks` cuts the messages). A page that starts on the grid also writes each message,
// as it is appended, into the bytes of that chunk's snapshot record, in fixed blocks
// (`PageWriter`: a push costs what its own row costs, never a copy of the page, R9), and once
// the next message arrives the full page is *sealed*: its messages give way to those bytes
// (`SealedPage`). A node that ran long without a restart held every message it took as an
// object and strings on the heap, which every full GC marks, and every snapshot serialised all
// of them again. A sealed page is bytes outside the heap (≈ 220 B a message, about what it
// frees on the heap), serialised once and written by each snapshot as they are; a read parses
// only the rows it needs.

import { invariant } from "./errors.js";
import type { Message } from "./types.js";

/** One message as a snapshot row; its seq is its position. */
export type MessageRow = [id: string, from: string, to: string, text: string, sentAtMs: number,
  clientMsgId: string];

/** Parses the rows of one unparsed page; called again after the page was dropped. */
export type RowsLoader = () => readonly MessageRow[];

/** Messages a page appended to in memory holds at most: the snapshot's rows per messages chunk. */
export const pageMessagesMax = 2_000;
/** Unparsed pages kept parsed at once (2,000 messages each). */
export const parsedPagesMax = 64;

interface Page {
  /** Seq of its first message. */
  readonly from: number;
  count: number;
  /** Parsed messages: for pages being appended to, and for unparsed ones while cached. */
  messages: Message[] | undefined;
  readonly load: RowsLoader | undefined;
  /** What an unparsed page was read from (a restore's record) or sealed into, to write it again as is. */
  readonly source?: unknown;
  /** A sealed page's rows, read one at a time (it has no `load`: it is never parsed whole). */
  readonly read?: (i: number) => MessageRow;
  /** A page being appended to that started on the grid: its record's bytes so far. */
  readonly writer?: PageWriter;
}

interface PageView {
  readonly page: Page;
  readonly messages: readonly Message[] | undefined;
  /** Row i of a page without parsed messages. */
  readonly row: ((i: number) => MessageRow) | undefined;
}

export function messageOfRow(seq: number, row: MessageRow): Message {
  invariant(Array.isArray(row) && row.length === 6, `message ${seq} is not a row`);
  const [id, from, to, text, sentAtMs, clientMsgId] = row;
  return Object.freeze({ seq, id, from, to, text, sentAtMs, clientMsgId });
}

export function rowOfMessage(m: Message): MessageRow {
  return [m.id, m.from, m.to, m.text, m.sentAtMs, m.clientMsgId];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A sealed page: the UTF-8 bytes of its snapshot record, `{"t":"messages","from","n","rows"}`
 * (format 3, snapshot-chunks.ts), in blocks that a snapshot writes one after the other as they
 * are, and where each row's JSON lies in them (a row never spans two blocks), so a read parses
 * the one row it needs.
 */
export class SealedPage {
  /** Made by PageWriter: row i's JSON is blocks[block[i]] from start[i] to end[i]. */
  constructor(
    readonly blocks: readonly Uint8Array[],
    private readonly block: Uint32Array,
    private readonly start: Uint32Array,
    private readonly end: Uint32Array,
  ) {}

  row(i: number): MessageRow {
    invariant(Number.isSafeInteger(i) && i >= 0 && i < this.block.length, `row ${i} of a sealed page`);
    const bytes = this.blocks[this.block[i]!]!.subarray(this.start[i], this.end[i]);
    return JSON.parse(decoder.decode(bytes)) as MessageRow;
  }
}

/** A sealed page's blocks hold this much (or one row, if longer): no copy of a page is ever made. */
export const sealedBlockBytes = 1024 * 1024;

/**
 * Writes a page's snapshot record, `{"t":"messages","from","n","rows":[…]}`, a row at a time,
 * into fixed blocks: a push costs what its own row costs, never a copy of the page (R9).
 */
class PageWriter {
  private readonly blocks: Uint8Array[] = [];
  private bytes: Uint8Array;
  private at = 0;
  private readonly block: Uint32Array;
  private readonly start: Uint32Array;
  private readonly end: Uint32Array;
  private rows = 0;

  constructor(from: number, count: number, private readonly blockBytes: number) {
    this.bytes = new Uint8Array(blockBytes);
    [this.block, this.start, this.end] = [new Uint32Array(count), new Uint32Array(count), new Uint32Array(count)];
    this.write(`{"t":"messages","from":${from},"n":${count},"rows":[`);
  }

  add(message: Message): void {
    invariant(this.rows < this.block.length, "a page writer got more rows than its page holds");
    if (this.rows > 0) this.write(",");
    const json = JSON.stringify(rowOfMessage(message));
    this.room(json.length * 3);
    const i = this.rows++;
    this.block[i] = this.blocks.length;
    this.start[i] = this.at;
    this.write(json);
    this.end[i] = this.at;
  }

  /** The record, closed. Only its last block is copied, to its length (at most a block). */
  seal(): SealedPage {
    this.write("]}");
    const blocks = [...this.blocks, this.bytes.slice(0, this.at)];
    return new SealedPage(blocks, this.block, this.start, this.end);
  }

  /** Starts a new block unless `bytes` more fit in this one. */
  private room(bytes: number): void {
    if (this.at + bytes <= this.bytes.length) return;
    this.blocks.push(this.bytes.subarray(0, this.at));
    this.bytes = new Uint8Array(Math.max(this.blockBytes, bytes));
    this.at = 0;
  }

  private write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(text.length * 3);
    this.at += encoder.encodeInto(text, this.bytes.subarray(this.at)).written;
  }
}

export class MessageLog implements Iterable<Message> {
  private readonly pages: Page[] = [];
  private count = 0;
  /** Unparsed pages now holding parsed messages, oldest parsed first. */
  private readonly parsed: Page[] = [];

  /**
   * `pageSize`: the snapshot's rows per messages chunk; `blockBytes`: the blocks a sealed page's
   * bytes come in (tests use small ones of both).
   */
  constructor(private readonly pageSize = pageMessagesMax, private readonly blockBytes = sealedBlockBytes) {
    invariant(Number.isSafeInteger(pageSize) && pageSize > 0, `page size ${pageSize}`);
    invariant(Number.isSafeInteger(blockBytes) && blockBytes >= 64, `block size ${blockBytes}`);
  }

  get length(): number {
    return this.count;
  }

  at(seq: number): Message | undefined {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.count) return undefined;
    const page = this.pageOf(seq);
    // A sealed page parses the one row asked for, so random reads of old history stay cheap.
    if (page.read !== undefined) return messageOfRow(seq, page.read(seq - page.from));
    return this.messagesOf(page)[seq - page.from];
  }

  push(message: Message): void {
    invariant(message.seq === this.count + 1,
      `message ${message.seq} appended after ${this.count}`);
    let last = this.pages.at(-1);
    const onGrid = (message.seq - 1) % this.pageSize === 0;
    const open = last !== undefined && last.load === undefined && last.read === undefined;
    if (last === undefined || !open || onGrid) {
      if (open) this.sealLast();
      const writer = onGrid ? new PageWriter(message.seq, this.pageSize, this.blockBytes) : undefined;
      last = { from: message.seq, count: 0, messages: [], load: undefined, ...(writer ? { writer } : {}) };
      this.pages.push(last);
    }
    last.messages!.push(message);
    last.writer?.add(message);
    last.count += 1;
    this.count += 1;
  }

  /**
   * Appends `count` messages from `from` as one unparsed page. `source`: what the page was
   * read from (e.g. its snapshot record), handed back by `sourceOf`.
   */
  pushUnparsed(from: number, count: number, load: RowsLoader, source?: unknown): void {
    invariant(from === this.count + 1, `page from ${from} appended after ${this.count}`);
    invariant(Number.isSafeInteger(count) && count > 0, `page of ${count} messages`);
    this.pages.push({ from, count, messages: undefined, load, source });
    this.count += count;
  }

  /** The source of the unparsed page holding exactly the messages [from, from + count), if any. */
  sourceOf(from: number, count: number): unknown {
    if (!Number.isSafeInteger(from) || from < 1 || from > this.count) return undefined;
    const page = this.pageOf(from);
    return page.from === from && page.count === count ? page.source : undefined;
  }

  [Symbol.iterator](): Iterator<Message> {
    return this.range(1, this.count + 1);
  }

  /** Messages with seq in [from, to), in order; unparsed pages are parsed, not kept. */
  *range(from: number, to: number): Generator<Message> {
    for (const { page, messages, row } of this.pagesIn(from, to)) {
      const end = Math.min(to, page.from + page.count);
      for (let seq = Math.max(from, page.from); seq < end; seq++) {
        const i = seq - page.from;
        yield messages?.[i] ?? messageOfRow(seq, row!(i));
      }
    }
  }

  /** Rows of the messages with seq in [from, to), in order (snapshot writes). */
  *rows(from: number, to: number): Generator<MessageRow> {
    for (const { page, messages, row } of this.pagesIn(from, to)) {
      const end = Math.min(to, page.from + page.count);
      for (let seq = Math.max(from, page.from); seq < end; seq++) {
        const i = seq - page.from;
        yield row ? row(i) : rowOfMessage(messages![i]!);
      }
    }
  }

  /**
   * Seals the last page if it fills exactly one chunk of the grid (a page begun after a restored
   * partial page holds less, has no writer and stays as it is). A reader holding the old page
   * object (a range under way) keeps its messages.
   */
  private sealLast(): void {
    const i = this.pages.length - 1;
    const page = this.pages[i]!;
    if (page.writer === undefined || page.count !== this.pageSize) return;
    const source = page.writer.seal();
    this.pages[i] = { from: page.from, count: page.count, messages: undefined, load: undefined,
      read: (row) => source.row(row), source };
  }

  /**
   * Pages overlapping [from, to), each with its messages or rows as of when it is reached
   * (a caller may read in between and drop a cached page while the generator waits).
   */
  private *pagesIn(from: number, to: number): Generator<PageView> {
    if (from >= to || from > this.count) return;
    for (let p = this.pageIndexOf(Math.max(1, from)); p < this.pages.length; p++) {
      const page = this.pages[p]!;
      if (page.from >= to) return;
      const messages = page.messages;
      yield { page, messages, row: messages === undefined ? this.rowReader(page) : undefined };
    }
  }

  /** Reads the rows of an unparsed page: a sealed one row by row, a restored one parsed whole. */
  private rowReader(page: Page): (i: number) => MessageRow {
    if (page.read !== undefined) return page.read;
    const rows = this.rowsOf(page);
    return (i) => rows[i]!;
  }

  private rowsOf(page: Page): readonly MessageRow[] {
    const rows = page.load!();
    invariant(Array.isArray(rows) && rows.length === page.count,
      `page from ${page.from} holds ${rows.length} rows, not ${page.count}`);
    return rows;
  }

  private messagesOf(page: Page): Message[] {
    if (page.messages !== undefined) return page.messages;
    const rows = this.rowsOf(page);
    page.messages = rows.map((row, i) => messageOfRow(page.from + i, row));
    this.parsed.push(page);
    if (this.parsed.length > parsedPagesMax) this.parsed.shift()!.messages = undefined;
    return page.messages;
  }

  private pageOf(seq: number): Page {
    return this.pages[this.pageIndexOf(seq)]!;
  }

  /** The index of the page holding `seq` (1 ≤ seq ≤ length), by binary search on first seqs. */
  private pageIndexOf(seq: number): number {
    let [lo, hi] = [0, this.pages.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.pages[mid]!.from <= seq) lo = mid;
      else hi = mid - 1;
    }
    const page = this.pages[lo];
    invariant(page !== undefined && page.from <= seq && seq < page.from + page.count,
      `no page for ${seq}`);
    return lo;
  }
}
