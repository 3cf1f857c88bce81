import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stateDigest } from "./digest.js";
import { captureSnapshot } from "./snapshot.js";
import {
  chunkedHeader,
  restoreChunked,
  snapshotChunks,
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

describe("chunked snapshots (format 2)", () => {
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
