import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyCommand } from "./apply.js";
import { stateDigest } from "./digest.js";
import type { ChatState } from "./state.js";
import { conversationRows, restoreConversationRow, runsOf, runsPerRowMax } from "./conversation-rows.js";
import { SealedPage, type MessageRow } from "./message-log.js";
import { captureSnapshot } from "./snapshot.js";
import {
  chunkedHeader,
  restoreChunked,
  snapshotChunks,
  snapshotChunksReusingPages,
  SnapshotRestorer,
  snapshotRowsPerChunk,
  type ChunkedSnapshotHeader,
  type SnapshotChunk,
} from "./snapshot-chunks.js";
import { assertSameState, busyWorld } from "./testing/busy-world.js";
import { World } from "./testing/world.js";

/** What the storage layer does: each chunk one JSON line, parsed back. */
function viaJson(header: ChunkedSnapshotHeader, chunks: Iterable<SnapshotChunk>): [ChunkedSnapshotHeader, unknown[]] {
  return [JSON.parse(JSON.stringify(header)) as ChunkedSnapshotHeader,
    [...chunks].map((c) => JSON.parse(JSON.stringify(c)) as unknown)];
}

/** Format 2 as an older node wrote it: no conversations, no `n`, send keys without the id. */
function asFormat2(header: ChunkedSnapshotHeader, chunks: unknown[]):
  [ChunkedSnapshotHeader, unknown[]] {
  const { conversations: _conversations, ...counts } = header.counts;
  const old = (chunks as SnapshotChunk[]).filter((c) => c.t !== "conversations").map((c) => {
    if (c.t === "messages") return { t: c.t, from: c.from, rows: c.rows };
    if (c.t === "sendKeys") return { t: c.t, rows: c.rows.map((r) => [r[0], r[2], r[3]]) };
    return c;
  });
  return [{ ...header, format: 2, counts } as unknown as ChunkedSnapshotHeader, old];
}

/** What a node does with format 3: messages chunks handed over as text, parsed when read. */
function restoreUnparsed(header: ChunkedSnapshotHeader, chunks: unknown[]):
  { state: ChatState; loads: () => number } {
  const restorer = new SnapshotRestorer(header);
  let loads = 0;
  for (const chunk of chunks as SnapshotChunk[]) {
    if (chunk.t !== "messages") {
      restorer.add(chunk);
      continue;
    }
    const text = JSON.stringify(chunk);
    restorer.addUnparsed(chunk.from, chunk.n!, () => {
      loads += 1;
      return (JSON.parse(text) as { rows: MessageRow[] }).rows;
    }, `source of ${chunk.from}`);
  }
  return { state: restorer.finish(), loads: () => loads };
}

describe("chunked snapshots (formats 2 and 3)", () => {
  it("format 2 is still read: its indexes are rebuilt from the messages", () => {
    const { w } = busyWorld();
    for (const rows of [1, 3, 1000]) {
      const capture = captureSnapshot(w.state);
      const [header, chunks] = viaJson(chunkedHeader(capture), snapshotChunks(capture, rows));
      assert.equal(header.format, 3);
      assertSameState(restoreChunked(...asFormat2(header, chunks)), w.state);
    }
  });

  it("format 3 restores without parsing one message; pages parse when read", () => {
    const { w, alice } = busyWorld();
    const capture = captureSnapshot(w.state);
    const chunks = snapshotChunks(capture, 4);
    const { state, loads } = restoreUnparsed(...viaJson(chunkedHeader(capture), chunks));
    assert.equal(loads(), 0, "indexes, dedup tables and read marks come without the messages");
    assertSameState(state, w.state);
    assert.ok(loads() > 0);
    const restoredWorld = new World();
    Object.assign(restoredWorld, { state, index: w.index, ts: w.ts });
    const send = w.sendCmd(alice, "bob", "after the restore");
    for (const world of [w, restoredWorld]) {
      world.must(send);
      const mark = { requestId: "mark", tokenHash: alice, peer: "bob", upToSeq: 1_000 };
      world.must({ kind: "mark-read", ...mark });
    }
    assert.equal(stateDigest(restoredWorld.state), stateDigest(w.state));
  });

  it("with reuse, a chunk that is one restored page comes as its source, unparsed", () => {
    const { w, alice } = busyWorld();
    const chunks = [...snapshotChunks(captureSnapshot(w.state), 4)];
    const { state, loads } = restoreUnparsed(...viaJson(chunkedHeader(captureSnapshot(w.state)), chunks));
    const count = state.messages.length;
    // One more message: it starts a page of its own after the restored ones (applied without
    // World's invariant checks, which read every message).
    const send = w.sendCmd(alice, "bob", "after the restore");
    const sent = applyCommand(state, send, { index: w.index + 1, ts: w.ts + 1 });
    assert.ok(sent.ok);
    const messages = chunks.filter((c) => c.t === "messages");
    const partialLast = messages.at(-1)!.n! < 4 ? 1 : 0;
    let loadsBefore = loads();
    const again = [...snapshotChunksReusingPages(captureSnapshot(state), 4)];
    assert.equal(loads() - loadsBefore, partialLast, "only a partial last page is parsed to write it again");
    const expected = messages.map((c) => (c.n === 4 ? { t: "verbatim", source: `source of ${c.from}` } : c));
    // A restored partial last page is followed by a new page: its chunk is written from rows.
    const written = again.filter((c) => c.t === "messages" || c.t === "verbatim");
    assert.deepEqual(written.slice(0, expected.length - 1), expected.slice(0, -1));
    assert.equal(written.reduce((n, c) => n + (c.t === "messages" ? c.n! : 4), 0), count + 1);
    // Without reuse every chunk is rows, as before, and every page is parsed for them.
    loadsBefore = loads();
    assert.ok([...snapshotChunks(captureSnapshot(state), 4)].every((c) => (c.t as string) !== "verbatim"));
    assert.equal(loads() - loadsBefore, messages.length);
  });

  it("whole chunks appended in memory are written as their sealed bytes, and restore equal", () => {
    const w = new World();
    const alice = w.register("alice");
    w.register("bob");
    // Two whole chunks and one message of a third (sealing waits for the next message), applied
    // without World's invariant checks, which read every message after every step.
    let [index, ts] = [w.index, w.ts];
    for (let i = 0; i < 2 * snapshotRowsPerChunk + 1; i++) {
      const sent = applyCommand(w.state, w.sendCmd(alice, "bob", `m${i} ✓ "q"`), { index: ++index, ts: ++ts });
      assert.ok(sent.ok);
    }
    const capture = captureSnapshot(w.state);
    const plain = [...snapshotChunks(capture)].filter((c) => c.t === "messages");
    const reused = [...snapshotChunksReusingPages(capture)];
    const sealed = reused.flatMap((c) => (c.t === "verbatim" ? [c.source] : []));
    assert.equal(sealed.length, 2);
    const text = (source: unknown): string => {
      assert.ok(source instanceof SealedPage);
      return Buffer.concat(source.blocks).toString("utf8");
    };
    sealed.forEach((source, k) => assert.equal(text(source), JSON.stringify(plain[k])));
    // Written as a node writes them (sealed bytes as they are) and restored unparsed: the same state.
    const lines = reused.map((c) => (c.t === "verbatim" ? text(c.source) : JSON.stringify(c)));
    const { state } = restoreUnparsed(JSON.parse(JSON.stringify(chunkedHeader(capture))) as ChunkedSnapshotHeader,
      lines.map((l) => JSON.parse(l) as unknown));
    assert.equal(stateDigest(state), stateDigest(w.state));
  });

  it("a conversation of more runs than a row holds spans rows, and restores equal", () => {
    const w = new World();
    const [a, b] = [w.register("a"), w.register("b")];
    w.register("c");
    for (let i = 0; i <= runsPerRowMax; i++) {
      w.send(a, "b", `to b ${i}`);
      w.send(b, "c", `to c ${i}`);
    }
    const rows = conversationRows(w.state);
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2].length / 2]),
      [[1, 2, runsPerRowMax], [1, 2, 1], [2, 3, runsPerRowMax], [2, 3, 1]]);
    const capture = captureSnapshot(w.state);
    const chunks = snapshotChunks(capture, 7);
    assertSameState(restoreUnparsed(...viaJson(chunkedHeader(capture), chunks)).state, w.state);
    assert.deepEqual(runsOf([1, 2, 3, 7, 9, 10]), [1, 3, 7, 1, 9, 2]);
  });

  it("a conversation row with a bad run is refused whole: nothing of it is added", () => {
    const w = new World();
    const [a, b] = [w.register("a"), w.register("b")];
    w.register("c");
    w.send(a, "b", "m1");
    w.send(b, "c", "m2");
    w.send(a, "b", "m3");
    const capture = captureSnapshot(w.state);
    const { state } = restoreUnparsed(...viaJson(chunkedHeader(capture), snapshotChunks(capture)));
    const seqs = state.indexes.get(1)!.conversations.get(2)!.seqs;
    assert.deepEqual(seqs, [1, 3]);
    seqs.length = 1; // as if the row of seq 3 were still to come
    assert.throws(() => restoreConversationRow(state, [1, 2, [3, 1, 2, 1]]), /out of order/);
    assert.deepEqual(seqs, [1]);
    restoreConversationRow(state, [1, 2, [3, 1]]);
    assert.deepEqual(seqs, [1, 3]);
  });

  it("round trip gives an equal state, indexes included, for any chunk size", () => {
    const { w } = busyWorld();
    for (const rows of [1, 2, 5, 1000]) {
      const capture = captureSnapshot(w.state);
      const restored = restoreChunked(...viaJson(chunkedHeader(capture), snapshotChunks(capture, rows)));
      assertSameState(restored, w.state);
    }
  });

  it("a restored state keeps applying exactly like the original (dedup included)", () => {
    const { w, alice } = busyWorld();
    const capture = captureSnapshot(w.state);
    const restoredWorld = new World();
    Object.assign(restoredWorld, { state: restoreChunked(...viaJson(chunkedHeader(capture), snapshotChunks(capture, 3))) });
    restoredWorld.index = w.index;
    restoredWorld.ts = w.ts;
    const replayed = w.sendCmd(alice, "bob", "m0-again");
    for (const world of [w, restoredWorld]) {
      world.apply({ ...replayed, requestId: "del-carol" });
      world.apply({ ...replayed, requestId: "fresh" }); // a known (sender, client_msg_id)
      world.apply(replayed, 20 * 60 * 1000);
    }
    assert.equal(stateDigest(restoredWorld.state), stateDigest(w.state));
  });

  it("the chunks do not change while the state moves on", () => {
    const { w, alice } = busyWorld();
    const capture = captureSnapshot(w.state);
    const before = JSON.stringify([...snapshotChunks(capture, 4)]);
    w.send(alice, "bob", "after the capture");
    w.register("dave");
    assert.equal(JSON.stringify([...snapshotChunks(capture, 4)]), before);
  });

  it("refuses chunks out of order, missing, extra, or not contiguous", () => {
    const { w } = busyWorld();
    const capture = captureSnapshot(w.state);
    const [header, chunks] = viaJson(chunkedHeader(capture), snapshotChunks(capture, 4));
    const messages = chunks.findIndex((c) => (c as SnapshotChunk).t === "messages");
    const swapped = [...chunks];
    [swapped[messages], swapped[messages + 1]] = [swapped[messages + 1], swapped[messages]];
    assert.throws(() => restoreChunked(header, swapped), /messages chunk from/);
    assert.throws(() => restoreChunked(header, chunks.slice(0, -1)), /sendKeys of/);
    assert.throws(() => restoreChunked(header, [...chunks, chunks.at(-1)]), /more sendKeys/);
    const requests = chunks.find((c) => (c as SnapshotChunk).t === "requests");
    assert.throws(() => restoreChunked(header, [requests, ...chunks]), /out of order/);
    assert.throws(() => restoreChunked({ ...header, format: 1 } as never, chunks), /unknown format/);
    const badRow = chunks.map((c) => ((c as SnapshotChunk).t === "sendKeys" ? { t: "sendKeys", rows: [[1, 9999, 1]] } : c));
    assert.throws(() => restoreChunked(header, badRow), /unknown message 9999|more sendKeys|sendKeys of/);
  });
});
