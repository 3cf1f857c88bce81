import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stateDigest } from "./digest.js";
import {
  captureSnapshot,
  restoreSnapshot,
  snapshotHeader,
  snapshotMessages,
  type SnapshotHeader,
} from "./snapshot.js";
import { assertSameState, busyWorld } from "./testing/busy-world.js";
import { World } from "./testing/world.js";
import type { Message } from "./types.js";

/** What a storage layer does: JSON out, JSON back in, messages in chunks. */
function roundTrip(header: SnapshotHeader, chunks: Message[][]): [SnapshotHeader, Message[]] {
  const parsed = JSON.parse(JSON.stringify(header)) as SnapshotHeader;
  return [parsed, chunks.flatMap((chunk) => JSON.parse(JSON.stringify(chunk)) as Message[])];
}

describe("snapshots", () => {
  it("restore gives an equal state, indexes included", () => {
    const { w } = busyWorld();
    const capture = captureSnapshot(w.state);
    const chunks = [0, 7, 14, 21].map((from) => snapshotMessages(capture, from, from + 7));
    const restored = restoreSnapshot(...roundTrip(snapshotHeader(capture), chunks));
    assertSameState(restored, w.state);
  });
  it("a restored state keeps applying exactly like the original", () => {
    const { w, alice } = busyWorld();
    const restoredWorld = new World();
    const capture = captureSnapshot(w.state);
    Object.assign(restoredWorld, {
      state: restoreSnapshot(...roundTrip(capture.header, [snapshotMessages(capture, 0, 1e9)])),
    });
    restoredWorld.index = w.index;
    restoredWorld.ts = w.ts;
    const replayed = w.sendCmd(alice, "bob", "m0-again"); // its requestId is fresh, the key is not
    const dup = { ...replayed, requestId: "del-carol", kind: "send" } as const;
    for (const world of [w, restoredWorld]) {
      world.apply(dup);
      world.apply({ kind: "logout", requestId: "out", tokenHash: "x" });
      world.apply(replayed, 20 * 60 * 1000); // past dedup retention
    }
    assert.equal(stateDigest(restoredWorld.state), stateDigest(w.state));
  });
  it("the capture does not change while the state moves on", () => {
    const { w, alice, bob } = busyWorld();
    const capture = captureSnapshot(w.state);
    const frozenHeader = JSON.stringify(capture.header);
    const count = capture.header.messageCount;
    w.send(alice, "bob", "after the capture");
    w.markRead(bob, "alice", 30);
    w.must({
      kind: "delete-account",
      requestId: "del-a",
      tokenHash: alice,
      confirmUsername: "alice",
    });
    w.register("dave");
    assert.equal(JSON.stringify(capture.header), frozenHeader);
    assert.equal(snapshotMessages(capture, 0, Number.MAX_SAFE_INTEGER).length, count);
    assert.equal(snapshotMessages(capture, count - 1, count + 5).length, 1);
  });
  it("refuses a corrupt snapshot", () => {
    const { w } = busyWorld();
    const capture = captureSnapshot(w.state);
    const all = snapshotMessages(capture, 0, 1e9);
    assert.throws(() => restoreSnapshot(capture.header, all.slice(1)), /message count differs/);
    const swapped = [all[1], all[0], ...all.slice(2)] as Message[];
    assert.throws(() => restoreSnapshot(capture.header, swapped), /has seq/);
    const noMarks = { ...capture.header, readMarks: [] };
    assert.throws(() => restoreSnapshot(noMarks, all), /read marks for/);
  });
});
