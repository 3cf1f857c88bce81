// Exhaustive, in memory: every single-bit flip and every cut of a real segment is classified
// as S3/S4 say (torn tail only inside the last batch), and the trusted entries are exactly
// the records before the damage. Fast enough to try all 8 bits of every byte.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { describe, it } from "node:test";
import { emptyReplayState, scanSegment } from "./segment-scan.js";
import {
  batchEnds,
  entryLines,
  flipBit,
  makeEntries,
  noSyncIo,
  segmentFiles,
  withTempDir,
  writeBatches,
  type TestEntry,
} from "./testing/fixtures.js";
import { classifyDamage } from "./wal-recovery.js";

const batches = [makeEntries(1, 2), makeEntries(3, 3), makeEntries(6, 1, 2), makeEntries(7, 2, 2)];

async function segment(): Promise<Buffer> {
  return withTempDir(async (dir) => {
    await writeBatches(dir, batches, { io: noSyncIo });
    const [file] = await segmentFiles(dir);
    return fs.readFile(file as string);
  });
}

/** Replays `buf` as the only segment: the verdict and the entries recovery would trust. */
function recover(buf: Buffer): { verdict: string; trusted: number[] } {
  const st = emptyReplayState<TestEntry>();
  const result = scanSegment(buf, st);
  if (result.kind === "clean") return { verdict: "clean", trusted: st.entries.map((e) => e.index) };
  const verdict = classifyDamage(buf, result, st.chain, true).kind;
  const last = verdict === "torn-tail" ? st.lastIndex : result.tentative.index;
  return { verdict, trusted: st.entries.slice(0, last - st.baseIndex).map((e) => e.index) };
}

describe("segment scan classification", () => {
  it("an undamaged segment replays clean", async () => {
    const buf = await segment();
    assert.deepEqual(recover(buf), { verdict: "clean", trusted: [1, 2, 3, 4, 5, 6, 7, 8] });
  });

  it("every single-bit flip: torn tail inside the last batch, corruption before it", async () => {
    const buf = await segment();
    const lastBatchStart = batchEnds(buf).at(-2) as number;
    const lines = entryLines(buf);
    for (let at = 0; at < buf.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const { verdict, trusted } = recover(flipBit(buf, at, bit));
        const where = `flip at ${at} bit ${bit}`;
        if (at >= lastBatchStart) {
          assert.equal(verdict, "torn-tail", where);
          assert.deepEqual(trusted, [1, 2, 3, 4, 5, 6], where);
        } else {
          assert.equal(verdict, "corruption", where);
          const before = lines.filter((l) => l.end <= at).map((l) => l.index);
          assert.deepEqual(trusted, before, where);
        }
      }
    }
  });

  it("every cut: clean at batch ends, otherwise a torn tail keeping complete batches", async () => {
    const buf = await segment();
    const ends = batchEnds(buf);
    const lines = entryLines(buf);
    for (let cut = 0; cut < buf.length; cut++) {
      const { verdict, trusted } = recover(buf.subarray(0, cut));
      const boundary = [...ends].reverse().find((e) => e <= cut);
      assert.equal(verdict, boundary === cut ? "clean" : "torn-tail", `cut at ${cut}`);
      const kept = lines.filter((l) => l.end <= (boundary ?? 0)).map((l) => l.index);
      assert.deepEqual(trusted, kept, `cut at ${cut}`);
    }
  });
});
