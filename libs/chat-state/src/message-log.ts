// The message table: every message by seq (1, 2, 3, …), append-only, in pages. A page
// restored from a snapshot may stay unparsed: it holds a function that parses its rows on
// first use (a pure function of bytes the caller keeps), and at most `parsedPagesMax` such
// pages keep their parsed messages, the oldest parsed dropped first. So a 1M-message restore
// costs neither a million objects nor their parse, and memory stays bounded after reads of
// old history. Every read gives the same messages whichever pages are parsed.

import { invariant } from "./errors.js";
import type { Message } from "./types.js";

/** One message as a snapshot row; its seq is its position. */
export type MessageRow = [id: string, from: string, to: string, text: string, sentAtMs: number,
  clientMsgId: string];

/** Parses the rows of one unparsed page; called again after the page was dropped. */
export type RowsLoader = () => readonly MessageRow[];

/** Messages a page appended to in memory holds before a new one starts. */
export const pageMessagesMax = 2_000;
/** Unparsed pages kept parsed at once (2,000 messages each). */
export const parsedPagesMax = 64;

interface Page {
  /** Seq of its first message. */
  readonly from: number;
  count: number;
  /** Parsed messages: always for appended pages, for unparsed ones only while cached. */
  messages: Message[] | undefined;
  readonly load: RowsLoader | undefined;
  /** What the restore handed over with an unparsed page, to write it again as is (opaque). */
  readonly source?: unknown;
}

interface PageView {
  readonly page: Page;
  readonly messages: readonly Message[] | undefined;
  readonly rows: readonly MessageRow[] | undefined;
}

export function messageOfRow(seq: number, row: MessageRow): Message {
  invariant(Array.isArray(row) && row.length === 6, `message ${seq} is not a row`);
  const [id, from, to, text, sentAtMs, clientMsgId] = row;
  return Object.freeze({ seq, id, from, to, text, sentAtMs, clientMsgId });
}

export function rowOfMessage(m: Message): MessageRow {
  return [m.id, m.from, m.to, m.text, m.sentAtMs, m.clientMsgId];
}

export class MessageLog implements Iterable<Message> {
  private readonly pages: Page[] = [];
  private count = 0;
  /** Unparsed pages now holding parsed messages, oldest parsed first. */
  private readonly parsed: Page[] = [];

  get length(): number {
    return this.count;
  }

  at(seq: number): Message | undefined {
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.count) return undefined;
    const page = this.pageOf(seq);
    return this.messagesOf(page)[seq - page.from];
  }

  push(message: Message): void {
    invariant(message.seq === this.count + 1,
      `message ${message.seq} appended after ${this.count}`);
    let last = this.pages.at(-1);
    if (last === undefined || last.messages === undefined || last.load !== undefined
      || last.count >= pageMessagesMax) {
      last = { from: message.seq, count: 0, messages: [], load: undefined };
      this.pages.push(last);
    }
    last.messages!.push(message);
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
    for (const { page, messages, rows } of this.pagesIn(from, to)) {
      const end = Math.min(to, page.from + page.count);
      for (let seq = Math.max(from, page.from); seq < end; seq++) {
        const i = seq - page.from;
        yield messages?.[i] ?? messageOfRow(seq, rows![i]!);
      }
    }
  }

  /** Rows of the messages with seq in [from, to), in order (snapshot writes). */
  *rows(from: number, to: number): Generator<MessageRow> {
    for (const { page, messages, rows } of this.pagesIn(from, to)) {
      const end = Math.min(to, page.from + page.count);
      for (let seq = Math.max(from, page.from); seq < end; seq++) {
        const i = seq - page.from;
        yield rows?.[i] ?? rowOfMessage(messages![i]!);
      }
    }
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
      yield { page, messages, rows: messages === undefined ? this.rowsOf(page) : undefined };
    }
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
