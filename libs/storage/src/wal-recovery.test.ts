// Recovery (§8.4): torn tails are cut and kept as `.broken` (S3), corruption before an
// intact marker is reported and never cut (S4). Crashes are simulated by cutting or
// damaging copies of real segment files at every byte of the region in question.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CommitLog } from "./commit-log.js";
import { StorageFaultedError } from "./errors.js";
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

const batches = [makeEntries(1, 3), makeEntries(4, 4), makeEntries(8, 2, 2), makeEntries(10, 2, 2)];
const lastIndex = 11;
const all = batches.flat();

/** Writes `content` as the only segment of a fresh data dir and opens it. */
async function openWith(dir: string, segment: string, content: Buffer) {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(path.join(dir, "wal"), { recursive: true });
  await fs.writeFile(path.join(dir, "wal", path.basename(segment)), content);
  return CommitLog.open<TestEntry>(dir, { io: noSyncIo });
}

async function original(dir: string): Promise<{ segment: string; buf: Buffer; ends: number[] }> {
  await writeBatches(path.join(dir, "orig"), batches);
  const [segment] = await segmentFiles(path.join(dir, "orig"));
  const buf = await fs.readFile(segment as string);
  return { segment: segment as string, buf, ends: batchEnds(buf) };
}

describe("torn tail (S3)", () => {
  it("a crash at every byte of the last batch keeps every complete batch", () =>
    withTempDir(async (dir) => {
      const { segment, buf, ends } = await original(dir);
      const lastStart = ends.at(-2) as number;
      const kept = all.filter((e) => e.index < 10);
      const work = path.join(dir, "case");
      for (let cut = lastStart; cut < buf.length; cut++) {
        const { log, entries, report } = await openWith(work, segment, buf.subarray(0, cut));
        assert.deepEqual(entries, kept, `cut at ${cut}`);
        assert.equal(report.corruption, undefined);
        const file = path.join(work, "wal", path.basename(segment));
        assert.equal((await fs.stat(file)).size, lastStart);
        if (cut === lastStart) {
          assert.equal(report.tornTail, undefined, "a cut at a batch boundary is clean");
        } else {
          assert.equal(report.tornTail?.bytes, cut - lastStart);
          const broken = await fs.readFile(report.tornTail?.brokenFile as string);
          assert.deepEqual(broken, buf.subarray(lastStart, cut));
        }
        await log.append(makeEntries(10, 1, 2)); // the log goes on from the cut
        await log.close();
      }
    }));

  it("damage anywhere in the last batch, marker included, is a torn tail", () =>
    withTempDir(async (dir) => {
      const { segment, buf, ends } = await original(dir);
      const lastStart = ends.at(-2) as number;
      const work = path.join(dir, "case");
      for (let at = lastStart; at < buf.length; at += 3) {
        const { log, entries, report } = await openWith(work, segment, flipBit(buf, at, at % 8));
        assert.deepEqual(entries, all.slice(0, 9), `flip at ${at}`);
        assert.equal(report.tornTail?.bytes, buf.length - lastStart);
        assert.equal(report.corruption, undefined);
        await log.close();
      }
    }));

  it("a batch whose records are intact but whose marker is missing is a torn tail", () =>
    withTempDir(async (dir) => {
      const { segment, buf } = await original(dir);
      const noMarker = buf.subarray(0, (entryLines(buf).at(-1) as { end: number }).end);
      const { log, entries, report } = await openWith(path.join(dir, "case"), segment, noMarker);
      assert.deepEqual(entries, all.slice(0, 9));
      assert.ok(report.tornTail !== undefined);
      await log.close();
    }));

  it("CE11: a torn record followed by intact records and marker in the last batch", () =>
    withTempDir(async (dir) => {
      const { segment, buf } = await original(dir);
      const line = entryLines(buf).find((l) => l.index === 11) as { start: number; end: number };
      const damaged = Buffer.from(buf);
      damaged.fill(0, line.start, line.end); // record 11's page never reached the disk
      const { log, entries, report } = await openWith(path.join(dir, "case"), segment, damaged);
      assert.deepEqual(entries, all.slice(0, 9));
      assert.ok(report.tornTail !== undefined && report.corruption === undefined);
      await log.close();
    }));

  // CE11's exact shape: out-of-order writeback tears a record in the middle of the last batch
  // while later records of that batch, and its marker line, reach the disk. Read as "CRC
  // failure followed by valid records" it would fault the node that holds every acked record
  // and make it ineligible as N*; the marker's chain over the batch says it is a torn tail.
  it("CE11: record 9 torn while 10, 11 and the marker survive: torn tail, 1–7 kept", () =>
    withTempDir(async (dir) => {
      const wide = [makeEntries(1, 3), makeEntries(4, 4), makeEntries(8, 4)];
      await writeBatches(path.join(dir, "orig"), wide);
      const [segment] = await segmentFiles(path.join(dir, "orig"));
      const buf = await fs.readFile(segment as string);
      const lines = entryLines(buf);
      const torn = lines.find((l) => l.index === 9) as { start: number; end: number };
      const damaged = Buffer.from(buf);
      damaged.fill(0, torn.start, torn.end); // record 9's page never reached the disk
      const { log, entries, report } = await openWith(
        path.join(dir, "case"),
        segment as string,
        damaged,
      );
      assert.deepEqual(entries, wide.slice(0, 2).flat(), "every acked (synced) batch is kept");
      assert.equal(report.corruption, undefined, "not corruption");
      assert.equal(log.faulted, false, "not storage-faulted: still eligible as N*");
      const lastStart = batchEnds(buf).at(-2) as number;
      assert.equal(report.tornTail?.bytes, buf.length - lastStart, "the whole last batch is cut");
      await log.append(makeEntries(8, 1, 2)); // the log goes on from the cut
      await log.close();
    }));

  it("a torn seed of a just-rolled segment removes that segment", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 300 };
      await writeBatches(dir, batches, options);
      const files = await segmentFiles(dir);
      assert.ok(files.length >= 2);
      const last = files.at(-1) as string;
      const lastBuf = await fs.readFile(last);
      await fs.writeFile(last, lastBuf.subarray(0, 20)); // only part of the seed made it
      const kept = all.filter(
        (e) =>
          e.index <=
          (
            JSON.parse(lastBuf.toString("utf8", 9, lastBuf.indexOf(10))) as {
              seed: { index: number };
            }
          ).seed.index,
      );
      const { log, entries, report } = await CommitLog.open<TestEntry>(dir, options);
      assert.deepEqual(entries, kept);
      assert.equal(report.tornTail?.bytes, 20);
      assert.equal((await segmentFiles(dir)).length, files.length - 1);
      await log.append(makeEntries(kept.length + 1, 2, 2));
      await log.close();
      const again = await CommitLog.open<TestEntry>(dir, options);
      assert.equal(again.entries.length, kept.length + 2);
      await again.log.close();
    }));
});

describe("corruption (S4)", () => {
  it("damage before the last intact marker is reported, never cut; the prefix is served", () =>
    withTempDir(async (dir) => {
      const { segment, buf, ends } = await original(dir);
      const lines = entryLines(buf);
      const work = path.join(dir, "case");
      for (let at = 0; at < (ends.at(-2) as number); at += 3) {
        const damaged = flipBit(buf, at, (at * 5) % 8);
        const { log, entries, report } = await openWith(work, segment, damaged);
        const intact = lines.filter((l) => l.end <= at).map((l) => l.index);
        const expected = all.filter((e) => intact.includes(e.index));
        assert.deepEqual(entries, expected, `flip at ${at}`);
        assert.equal(report.tornTail, undefined);
        assert.equal(report.corruption?.firstDamagedIndex, expected.length + 1);
        assert.equal(report.corruption?.lastIndexReached, lastIndex);
        assert.ok(log.faulted);
        await assert.rejects(log.append(makeEntries(expected.length + 1, 1)), StorageFaultedError);
        const file = path.join(work, "wal", path.basename(segment));
        assert.deepEqual(await fs.readFile(file), damaged, "nothing truncated");
        await log.close();
      }
    }));

  it("damage in an earlier segment is corruption even when the last one is fine", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 300 };
      await writeBatches(dir, batches, options);
      const [first] = await segmentFiles(dir);
      const buf = await fs.readFile(first as string);
      await fs.writeFile(first as string, buf.subarray(0, buf.length - 5)); // lost its end
      const { log, report } = await CommitLog.open<TestEntry>(dir, options);
      assert.ok(report.corruption !== undefined && report.tornTail === undefined);
      assert.equal(report.corruption.lastIndexReached, lastIndex);
      assert.ok(log.faulted);
      await log.close();
    }));

  it("a faulted log is repaired by resetTo; damaged segments are kept as .corrupt", () =>
    withTempDir(async (dir) => {
      const { segment, buf } = await original(dir);
      const work = path.join(dir, "case");
      const { log } = await openWith(work, segment, flipBit(buf, 80, 1));
      await log.resetTo({ index: lastIndex, epoch: 2 });
      assert.equal(log.faulted, false);
      await log.append(makeEntries(lastIndex + 1, 1, 2));
      await log.close();
      const names = await fs.readdir(path.join(work, "wal"));
      assert.ok(names.some((n) => n.endsWith(".jsonl.corrupt")));
      const { entries, report, log: reopened } = await CommitLog.open<TestEntry>(work);
      assert.deepEqual(entries, makeEntries(lastIndex + 1, 1, 2));
      assert.equal(report.corruption, undefined);
      await reopened.close();
    }));
});

describe("truncation and crashes", () => {
  async function truncatedLog(
    dir: string,
  ): Promise<{ buf: Buffer; segment: string; ends: number[] }> {
    const orig = path.join(dir, "orig");
    const { log } = await CommitLog.open<TestEntry>(orig);
    for (const batch of batches) await log.append(batch);
    await log.truncateAfter(8);
    await log.append(makeEntries(9, 3, 3));
    await log.close();
    const [segment] = await segmentFiles(orig);
    const buf = await fs.readFile(segment as string);
    return { buf, segment: segment as string, ends: batchEnds(buf) };
  }

  it("a crash inside the append after a truncation keeps the truncation", () =>
    withTempDir(async (dir) => {
      const { buf, segment, ends } = await truncatedLog(dir);
      const start = ends.at(-2) as number;
      for (let cut = start; cut <= buf.length; cut++) {
        const { log, entries } = await openWith(
          path.join(dir, "case"),
          segment,
          buf.subarray(0, cut),
        );
        const tail = cut === buf.length ? makeEntries(9, 3, 3) : [];
        assert.deepEqual(entries, [...all.slice(0, 8), ...tail], `cut at ${cut}`);
        assert.equal(log.lastIndex, cut === buf.length ? 11 : 8);
        await log.close();
      }
    }));

  it("a crash inside the truncate batch leaves the log untruncated", () =>
    withTempDir(async (dir) => {
      const { buf, segment, ends } = await truncatedLog(dir);
      const start = ends.at(-3) as number;
      const end = ends.at(-2) as number;
      for (let cut = start; cut < end; cut++) {
        const { log, entries, report } = await openWith(
          path.join(dir, "case"),
          segment,
          buf.subarray(0, cut),
        );
        assert.deepEqual(entries, all, `cut at ${cut}`);
        assert.equal(report.tornTail === undefined, cut === start);
        await log.close();
      }
    }));
});

describe("snapshot chaining on open", () => {
  it("a log that does not reach a local snapshot is faulted", () =>
    withTempDir(async (dir) => {
      await writeBatches(dir, batches);
      const { log, entries, report } = await CommitLog.open<TestEntry>(dir, {
        snapshot: { index: 20, epoch: 2, logStart: null },
      });
      assert.deepEqual(entries, []);
      assert.equal(report.corruption?.firstDamagedIndex, lastIndex + 1);
      assert.ok(log.faulted);
      await log.close();
    }));

  it("a log that does not chain from an installed snapshot restarts after it (R19)", () =>
    withTempDir(async (dir) => {
      await writeBatches(dir, batches);
      const snapshot = { index: 12, epoch: 4, logStart: 13 };
      const { log, entries, report } = await CommitLog.open<TestEntry>(dir, { snapshot });
      assert.deepEqual(entries, []);
      assert.deepEqual(report.rebased, { index: 12, epoch: 4, droppedLastIndex: lastIndex });
      await log.append(makeEntries(13, 1, 4));
      await log.close();
      const again = await CommitLog.open<TestEntry>(dir, { snapshot });
      assert.deepEqual(again.entries, makeEntries(13, 1, 4));
      assert.equal(again.report.rebased, undefined);
      await again.log.close();
    }));

  it("returns only entries after the snapshot when the log chains from it", () =>
    withTempDir(async (dir) => {
      await writeBatches(dir, batches);
      const { log, entries } = await CommitLog.open<TestEntry>(dir, {
        snapshot: { index: 9, epoch: 2, logStart: null },
      });
      assert.deepEqual(entries, all.slice(9));
      assert.equal(log.firstIndex, 1);
      await log.close();
    }));
});
