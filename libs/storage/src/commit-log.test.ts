// CommitLog: append/replay, group commit, validation, short writes, fatal I/O errors,
// truncation, segment roll and compaction, reset.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CommitLog } from "./commit-log.js";
import { StorageFatalError } from "./errors.js";
import {
  countingIo,
  makeEntries,
  segmentFiles,
  withTempDir,
  writeBatches,
  type TestEntry,
} from "./testing/fixtures.js";

describe("CommitLog append and reopen", () => {
  it("replays exactly what was appended", () =>
    withTempDir(async (dir) => {
      const written = [...makeEntries(1, 5, 1), ...makeEntries(6, 5, 3)];
      await writeBatches(dir, [written.slice(0, 3), written.slice(3, 7), written.slice(7)]);
      const { log, entries, report } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, written);
      assert.deepEqual(report, { segments: 1, supersededSegments: 0 });
      assert.equal(log.firstIndex, 1);
      assert.equal(log.lastIndex, 10);
      assert.equal(log.lastEpoch, 3);
      assert.equal(log.entryCount, 10);
      assert.equal(log.epochAt(5), 1);
      assert.equal(log.epochAt(6), 3);
      await log.append(makeEntries(11, 1, 3));
      await log.close();
      const again = await CommitLog.open<TestEntry>(dir);
      assert.equal(again.entries.length, 11);
      await again.log.close();
    }));

  it("creates the wal directory 0700 and segments 0600", () =>
    withTempDir(async (dir) => {
      await writeBatches(path.join(dir, "node0"), [makeEntries(1, 1)]);
      const wal = path.join(dir, "node0", "wal");
      assert.equal((await fs.stat(wal)).mode & 0o777, 0o700);
      const [segment] = await segmentFiles(path.join(dir, "node0"));
      assert.equal((await fs.stat(segment as string)).mode & 0o777, 0o600);
    }));

  it("appendRaw writes pre-serialised JSON and checks its prefix", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      const json = JSON.stringify({ index: 1, epoch: 2, text: "raw" });
      await log.appendRaw([{ index: 1, epoch: 2, json }]);
      await assert.rejects(log.appendRaw([{ index: 2, epoch: 2, json: '{"epoch":2,"index":2}' }]));
      await assert.rejects(log.appendRaw([{ index: 2, epoch: 2, json: '{"index":2,"epoch":22}' }]));
      await log.close();
      const { entries, log: reopened } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, [{ index: 1, epoch: 2, text: "raw" }]);
      await reopened.close();
    }));

  it("rejects gaps, going back in epoch, and oversized entries, atomically", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      await log.append(makeEntries(1, 2, 2));
      await assert.rejects(log.append(makeEntries(4, 1, 2)), /does not follow/);
      await assert.rejects(log.append(makeEntries(3, 1, 1)), /below/);
      const big = { index: 3, epoch: 2, text: "x".repeat(2 * 1024 * 1024) };
      await assert.rejects(
        log.append([
          { index: 3, epoch: 2, text: "ok" },
          { ...big, index: 4 },
        ]),
      );
      assert.equal(log.lastIndex, 2, "a rejected append queues nothing");
      await log.append(makeEntries(3, 1, 2));
      await log.close();
    }));
});

describe("CommitLog group commit", () => {
  it("puts appends made in one tick into one batch with one fdatasync", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      const before = { ...log.stats };
      const pending = makeEntries(1, 200).map((e) => log.append([e]));
      await Promise.all(pending);
      assert.equal(log.stats.batches - before.batches, 1);
      assert.equal(log.stats.syncs - before.syncs, 1);
      await log.close();
    }));

  it("forms the next batch from appends that queue while a sync is in flight", () =>
    withTempDir(async (dir) => {
      let release: () => void = () => undefined;
      let gate: Promise<void> | undefined;
      const io = countingIo({
        async datasync(fh) {
          if (gate !== undefined) await gate;
          await fh.datasync();
        },
      });
      const { log } = await CommitLog.open<TestEntry>(dir, { io });
      gate = new Promise((resolve) => (release = resolve));
      const first = log.append(makeEntries(1, 1));
      await new Promise((resolve) => setTimeout(resolve, 20)); // the first sync is now waiting
      let resolvedEarly = false;
      void first.then(() => (resolvedEarly = true));
      const rest = makeEntries(2, 50).map((e) => log.append([e]));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(resolvedEarly, false, "no append resolves before its fdatasync");
      gate = undefined;
      release();
      await Promise.all([first, ...rest]);
      assert.equal(log.stats.batches, 2);
      assert.equal(io.counts["datasync"], 2);
      await log.close();
    }));

  it("splits a large append into bounded batches", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      await log.append(makeEntries(1, 10_000));
      assert.equal(log.stats.batches, 3); // batchEntriesMax = 4096
      await log.close();
    }));

  it("loops on short writes", () =>
    withTempDir(async (dir) => {
      const io = countingIo({
        write: (fh, buf, offset, length) =>
          fh.write(buf, offset, Math.min(length, 7)).then((r) => r.bytesWritten),
      });
      const written = makeEntries(1, 20);
      await writeBatches(dir, [written.slice(0, 10), written.slice(10)], { io });
      assert.ok((io.counts["write"] as number) > 100);
      const { entries, log } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, written);
      await log.close();
    }));

  it("treats an fsync error as fatal: pending and later appends reject, no retry", () =>
    withTempDir(async (dir) => {
      let fail = false;
      const io = countingIo({
        async datasync(fh) {
          if (fail) throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
          await fh.datasync();
        },
      });
      const { log } = await CommitLog.open<TestEntry>(dir, { io });
      await log.append(makeEntries(1, 1));
      fail = true;
      const a = log.append(makeEntries(2, 1));
      const b = log.append(makeEntries(3, 1));
      await assert.rejects(a, StorageFatalError);
      await assert.rejects(b, StorageFatalError);
      const syncs = io.counts["datasync"];
      await assert.rejects(log.append(makeEntries(4, 1)), StorageFatalError);
      await assert.rejects(log.truncateAfter(1), StorageFatalError);
      assert.equal(io.counts["datasync"], syncs, "never retries the fsync");
      await log.close();
    }));
});

describe("CommitLog truncation", () => {
  it("truncateAfter is durable and replay honours it", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      await log.append(makeEntries(1, 10, 1));
      await log.truncateAfter(6);
      assert.equal(log.lastIndex, 6);
      await assert.rejects(log.append(makeEntries(8, 1, 2)), /does not follow/);
      await log.append(makeEntries(7, 2, 2));
      await log.close();
      const { entries, log: reopened } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, [...makeEntries(1, 6, 1), ...makeEntries(7, 2, 2)]);
      assert.equal(reopened.lastEpoch, 2);
      await reopened.close();
    }));

  it("truncation resets the epoch check to the entry it keeps", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      await log.append([...makeEntries(1, 3, 1), ...makeEntries(4, 3, 5)]);
      await log.truncateAfter(3);
      assert.equal(log.lastEpoch, 1);
      await log.append(makeEntries(4, 2, 4)); // epoch 4 < 5, legal after the truncation
      await log.close();
      const { entries, log: reopened } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, [...makeEntries(1, 3, 1), ...makeEntries(4, 2, 4)]);
      await reopened.close();
    }));

  it("refuses to truncate outside the log", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir);
      await log.append(makeEntries(1, 3));
      await assert.rejects(log.truncateAfter(4));
      await assert.rejects(log.truncateAfter(-1));
      await log.close();
    }));
});

describe("CommitLog segments", () => {
  it("rolls segments and replays across them, truncating across a boundary", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 1024 };
      const { log } = await CommitLog.open<TestEntry>(dir, options);
      for (let i = 1; i <= 100; i += 10) await log.append(makeEntries(i, 10));
      assert.ok((await segmentFiles(dir)).length >= 3, "rolled");
      await log.truncateAfter(15);
      await log.append(makeEntries(16, 5, 2));
      await log.close();
      const files = await segmentFiles(dir);
      const { entries, log: reopened, report } = await CommitLog.open<TestEntry>(dir, options);
      assert.deepEqual(entries, [...makeEntries(1, 15), ...makeEntries(16, 5, 2)]);
      assert.equal(report.segments, files.length);
      await reopened.close();
    }));

  it("compact deletes whole segments at or below the index, never the active one", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 1024 };
      const { log } = await CommitLog.open<TestEntry>(dir, options);
      for (let i = 1; i <= 200; i += 10) await log.append(makeEntries(i, 10));
      const before = await segmentFiles(dir);
      const deleted = await log.compact(120);
      const after = await segmentFiles(dir);
      assert.ok(deleted > 0);
      assert.equal(after.length, before.length - deleted);
      assert.ok(log.firstIndex <= 121, `first index ${log.firstIndex} keeps everything > 120`);
      await assert.rejects(log.truncateAfter(100), /outside/);
      assert.equal(await log.compact(10_000), after.length - 1);
      assert.equal((await segmentFiles(dir)).length, 1);
      await log.close();
      const { entries, log: reopened } = await CommitLog.open<TestEntry>(dir, options);
      assert.equal(entries.at(-1)?.index, 200);
      assert.equal(reopened.firstIndex, entries[0]?.index);
      await reopened.close();
    }));

  it("resetTo starts an empty log after a position and drops older segments", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir, { segmentBytesMax: 1024 });
      for (let i = 1; i <= 50; i += 10) await log.append(makeEntries(i, 10));
      await log.resetTo({ index: 500, epoch: 7 });
      assert.equal(log.lastIndex, 500);
      assert.equal(log.firstIndex, 501);
      await log.append(makeEntries(501, 3, 7));
      await log.close();
      assert.equal((await segmentFiles(dir)).length, 1);
      const { entries, log: reopened } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, makeEntries(501, 3, 7));
      assert.equal(reopened.epochAt(500), 7);
      await reopened.close();
    }));

  it("a crash between writing the reset segment and deleting old ones is harmless", () =>
    withTempDir(async (dir) => {
      const { log } = await CommitLog.open<TestEntry>(dir, { segmentBytesMax: 1024 });
      for (let i = 1; i <= 50; i += 10) await log.append(makeEntries(i, 10));
      const old = await segmentFiles(dir);
      const saved = await Promise.all(old.map((f) => fs.readFile(f)));
      await log.resetTo({ index: 80, epoch: 3 });
      await log.append(makeEntries(81, 2, 3));
      await log.close();
      await Promise.all(old.map((f, i) => fs.writeFile(f, saved[i] as Buffer))); // undeleted
      const { entries, report, log: reopened } = await CommitLog.open<TestEntry>(dir);
      assert.deepEqual(entries, makeEntries(81, 2, 3));
      assert.equal(report.supersededSegments, old.length);
      assert.equal((await segmentFiles(dir)).length, 1);
      await reopened.close();
    }));
});
