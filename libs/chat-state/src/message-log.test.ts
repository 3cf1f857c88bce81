import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MessageLog, messageOfRow, parsedPagesMax, rowOfMessage, SealedPage, type MessageRow,
} from "./message-log.js";

/** A sealed page's record, its blocks joined. */
function textOf(sealed: SealedPage): string {
  return Buffer.concat(sealed.blocks).toString("utf8");
}

function row(seq: number): MessageRow {
  return [`id-${seq}`, "alice", "bob", `text ${seq}`, 1_000 + seq, `c-${seq}`];
}

/** A log of `pages` unparsed pages of `size` rows, then `tail` appended messages; counts loads. */
function logOf(pages: number, size: number, tail: number):
  { log: MessageLog; loads: () => number } {
  const log = new MessageLog();
  let loads = 0;
  for (let p = 0; p < pages; p++) {
    const from = p * size + 1;
    const text = JSON.stringify(Array.from({ length: size }, (_, i) => row(from + i)));
    log.pushUnparsed(from, size, () => {
      loads += 1;
      return JSON.parse(text) as MessageRow[];
    });
  }
  const last = pages * size + tail;
  for (let seq = pages * size + 1; seq <= last; seq++) log.push(messageOfRow(seq, row(seq)));
  return { log, loads: () => loads };
}

describe("MessageLog", () => {
  it("answers by seq, parsed or not, and nothing outside 1..length", () => {
    const { log, loads } = logOf(3, 4, 5);
    assert.equal(log.length, 17);
    assert.equal(loads(), 0, "nothing is parsed before it is read");
    for (let seq = 1; seq <= 17; seq++) assert.deepEqual(log.at(seq), messageOfRow(seq, row(seq)));
    assert.equal(loads(), 3, "each unparsed page parsed once, then kept");
    for (const seq of [0, 18, 1.5, Number.NaN]) assert.equal(log.at(seq), undefined);
    assert.ok(Object.isFrozen(log.at(2)));
  });

  it("iterates and gives rows in seq order without keeping what it parsed", () => {
    const { log, loads } = logOf(3, 4, 5);
    assert.deepEqual([...log].map((m) => m.seq), Array.from({ length: 17 }, (_, i) => i + 1));
    assert.deepEqual([...log.rows(3, 15)], Array.from({ length: 12 }, (_, i) => row(i + 3)));
    assert.deepEqual([...log.range(10, 10)], []);
    const before = loads();
    [...log.range(1, 13)];
    assert.equal(loads(), before + 3, "range parses again: it keeps nothing");
    assert.deepEqual([...log.rows(12, 14)], [row(12), row(13)]);
    assert.deepEqual(rowOfMessage(log.at(13)!), row(13));
  });

  it("keeps at most parsedPagesMax pages parsed, with the same answers after dropping", () => {
    const pages = parsedPagesMax + 3;
    const { log, loads } = logOf(pages, 2, 0);
    for (let seq = 1; seq <= pages * 2; seq++) log.at(seq);
    assert.equal(loads(), pages);
    assert.deepEqual(log.at(1), messageOfRow(1, row(1)), "page 1 was dropped and parses again");
    assert.equal(loads(), pages + 1);
  });

  it("a reader that drops a page while a range waits does not disturb the range", () => {
    const pages = parsedPagesMax + 2;
    const { log } = logOf(pages, 2, 0);
    log.at(1);
    const range = log.range(1, 5);
    assert.equal(range.next().value?.seq, 1);
    for (let seq = 3; seq <= pages * 2; seq++) log.at(seq); // drops page 1 from the cache
    assert.deepEqual([...range].map((m) => m.seq), [2, 3, 4]);
  });

  it("gives an unparsed page's source back only for exactly its messages", () => {
    const log = new MessageLog();
    log.pushUnparsed(1, 2, () => [row(1), row(2)], "first");
    log.pushUnparsed(3, 1, () => [row(3)]);
    assert.equal(log.sourceOf(1, 2), "first");
    for (const [from, count] of [[1, 1], [1, 3], [2, 1], [3, 1], [4, 1], [0, 2], [1.5, 2]] as const) {
      assert.equal(log.sourceOf(from, count), undefined, `${from}+${count}`);
    }
  });

  it("refuses a page or message out of place", () => {
    const log = new MessageLog();
    assert.throws(() => log.push(messageOfRow(2, row(2))), /appended after 0/);
    assert.throws(() => log.pushUnparsed(2, 1, () => []), /appended after 0/);
    log.pushUnparsed(1, 2, () => [row(1)]);
    assert.throws(() => log.at(1), /holds 1 rows, not 2/);
  });

  it("seals a page that fills a chunk of the grid into that chunk's record, once the next message comes", () => {
    const log = new MessageLog(4);
    const texts = ["plain", "héllo 👋", "a \"quote\" and a \\", "line\nbreak\ttab", "lone \ud800 surrogate"];
    const message = (seq: number) =>
      messageOfRow(seq, [`id-${seq}`, "alice", "bob", texts[seq % texts.length]!, 1_000 + seq, `c-${seq}`]);
    for (let seq = 1; seq <= 8; seq++) log.push(message(seq));
    assert.equal(log.sourceOf(1, 4) instanceof SealedPage, true, "1-4 sealed when 5 came");
    assert.equal(log.sourceOf(5, 4), undefined, "5-8 still open: nothing came after it");
    log.push(message(9));
    const sealed = log.sourceOf(5, 4);
    assert.ok(sealed instanceof SealedPage);
    // The bytes are the record a snapshot writes for the chunk (snapshot-chunks.ts).
    const chunk = { t: "messages", from: 5, n: 4, rows: [5, 6, 7, 8].map((seq) => rowOfMessage(message(seq))) };
    assert.equal(textOf(sealed), JSON.stringify(chunk));
    for (let seq = 1; seq <= 9; seq++) assert.deepEqual(log.at(seq), message(seq), `seq ${seq}`);
    assert.deepEqual([...log].map((m) => m.text), Array.from({ length: 9 }, (_, i) => message(i + 1).text));
    assert.deepEqual([...log.rows(2, 8)], [2, 3, 4, 5, 6, 7].map((seq) => rowOfMessage(message(seq))));
    assert.deepEqual([...log.rows(5, 9)], chunk.rows);
  });

  it("after a restored partial page, appended pages end on the grid; only whole chunks are sealed", () => {
    const log = new MessageLog(4);
    log.pushUnparsed(1, 6, () => [1, 2, 3, 4, 5, 6].map(row), "restored");
    for (let seq = 7; seq <= 13; seq++) log.push(messageOfRow(seq, row(seq)));
    assert.equal(log.sourceOf(1, 6), "restored");
    assert.equal(log.sourceOf(7, 2), undefined, "7-8 ends on the grid but is no whole chunk");
    assert.ok(log.sourceOf(9, 4) instanceof SealedPage);
    assert.deepEqual([...log.rows(1, 14)], Array.from({ length: 13 }, (_, i) => row(i + 1)));
  });

  it("the push that seals a page serialises only its own message (R9)", () => {
    const log = new MessageLog(50);
    for (let seq = 1; seq <= 50; seq++) log.push(messageOfRow(seq, row(seq)));
    const stringify = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      calls += 1;
      return stringify(...args);
    }) as typeof stringify;
    try {
      log.push(messageOfRow(51, row(51)));
    } finally {
      JSON.stringify = stringify;
    }
    assert.ok(log.sourceOf(1, 50) instanceof SealedPage, "page 1-50 sealed by the push of 51");
    assert.equal(calls, 1, "one row serialised: 51's, not the 50 of the page it sealed");
  });

  it("a sealed page's bytes come in blocks no row spans, none longer than a block but for one long row", () => {
    const log = new MessageLog(40, 256);
    const texts = ["short", "ü".repeat(90), "x".repeat(300), "🚀".repeat(20)];
    const message = (seq: number) =>
      messageOfRow(seq, [`id-${seq}`, "alice", "bob", texts[seq % texts.length]!, seq, `c-${seq}`]);
    for (let seq = 1; seq <= 41; seq++) log.push(message(seq));
    const sealed = log.sourceOf(1, 40);
    assert.ok(sealed instanceof SealedPage);
    const rows = Array.from({ length: 40 }, (_, i) => rowOfMessage(message(i + 1)));
    assert.equal(textOf(sealed), JSON.stringify({ t: "messages", from: 1, n: 40, rows }));
    assert.ok(sealed.blocks.length > 10, `${sealed.blocks.length} blocks`);
    // No block is ever regrown: each holds at most a block, or the room one longer row needed.
    const longest = Math.max(...rows.map((r) => JSON.stringify(r).length));
    for (const block of sealed.blocks) assert.ok(block.length <= Math.max(256, 3 * longest), `${block.length}`);
    for (let i = 0; i < 40; i++) assert.deepEqual(sealed.row(i), rows[i]);
  });
});

