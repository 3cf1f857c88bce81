// SnapshotStore: round trip, fallback from a damaged snapshot, manifest atomicity, pruning,
// installed snapshots, and the storage-level "snapshot + log = whole log" equivalence.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CommitLog } from "./commit-log.js";
import { crc32 } from "./crc.js";
import { StorageFaultedError } from "./errors.js";
import { RawRecord } from "./snapshot-format.js";
import { RecordBytes, SnapshotStore } from "./snapshot-store.js";
import { flipBit, makeEntries, noSyncIo, withTempDir, type TestEntry } from "./testing/fixtures.js";

const records = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, body: `record ${from + i}` }));

async function* asyncChunks(count: number, size: number): AsyncGenerator<unknown[]> {
  for (let c = 0; c < count; c++) yield records(c * size, size);
}

describe("SnapshotStore", () => {
  it("writes and loads a snapshot streamed in chunks", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      assert.equal(await store.loadLatest(), undefined, "no snapshot yet");
      const header = { view: { epoch: 3, members: [0, 1, 2] }, dedup: { a: 1 } };
      const manifest = await store.write({ index: 42, epoch: 3, header }, asyncChunks(5, 100));
      assert.deepEqual(await store.manifest(), manifest);
      assert.equal(manifest.logStart, null);
      const loaded = await store.loadLatest();
      assert.ok(loaded !== undefined);
      assert.equal(loaded.index, 42);
      assert.equal(loaded.epoch, 3);
      assert.deepEqual(loaded.header, header);
      assert.deepEqual(loaded.records, records(0, 500));
      assert.equal(loaded.file, manifest.current);
      assert.equal((await fs.stat(path.join(dir, "snap"))).mode & 0o777, 0o700);
      assert.equal((await fs.stat(path.join(dir, "snap", manifest.current))).mode & 0o777, 0o600);
      const sync = await store.write({ index: 50, epoch: 3, header: null }, [records(0, 2), []]);
      assert.deepEqual((await store.loadLatest())?.records, records(0, 2));
      assert.equal(sync.index, 50);
    }));

  it("writes each record as exactly JSON.stringify(record) on its own line, under the trailer's CRC", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      // Rows past one piece (64), multi-byte and escaped text, a record past the 1 MiB buffer.
      const rows = Array.from({ length: 2_000 }, (_, i) => [`m${i}`, "ünï 🚀 \u2028", i, "\"q\"\n"]);
      const big = { t: "messages", from: 1, n: 1, rows: ["x".repeat(2 * 1024 * 1024)] };
      const written = [{ t: "messages", from: 1, n: 2_000, rows }, big, [1, [2, { a: "é" }]], "s", 7];
      const chunks = [written.slice(0, 2), written.slice(2)];
      const manifest = await store.write({ index: 9, epoch: 1, header: { h: "ä" } }, chunks);
      const bytes = await fs.readFile(path.join(dir, "snap", manifest.current));
      const lines = bytes.toString("utf8").split("\n");
      assert.deepEqual(lines.slice(1, 1 + written.length), written.map((r) => JSON.stringify(r)));
      const trailer = JSON.parse(lines[1 + written.length]!) as { count: number; crc: number };
      assert.equal(trailer.count, written.length);
      const body = bytes.subarray(0, bytes.length - Buffer.byteLength(`${lines[1 + written.length]!}\n`));
      assert.equal(trailer.crc, crc32(body, 0));
      assert.equal(manifest.crc, trailer.crc);
    }));

  it("writes a record given as bytes as they are, its pieces one after the other", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const json = JSON.stringify({ t: "messages", from: 1, n: 1, rows: [["m", "ünï 🚀"]] });
      const bytes = new TextEncoder().encode(`pad${json}`).subarray(3); // a view inside a larger buffer
      const cut = 20;
      const record = new RecordBytes([bytes.subarray(0, cut), bytes.subarray(cut)]);
      const manifest = await store.write({ index: 9, epoch: 1, header: null }, [[{ a: 1 }, record, "s"]]);
      const lines = (await fs.readFile(path.join(dir, "snap", manifest.current))).toString("utf8").split("\n");
      assert.deepEqual(lines.slice(1, 4), ['{"a":1}', json, '"s"']);
      const read: unknown[] = [];
      await (await store.openLatest())!.load((record) => read.push(record));
      assert.deepEqual(read[1], JSON.parse(json));
    }));

  it("refuses a record that is not JSON, leaving no temp file", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      for (const bad of [undefined, { toJSON: () => undefined }]) {
        await assert.rejects(store.write({ index: 3, epoch: 1, header: null }, [[{ ok: 1 }, bad]]), /not JSON/);
      }
      assert.deepEqual((await fs.readdir(path.join(dir, "snap"))).filter((f) => f.endsWith(".tmp")), []);
      assert.equal(await store.manifest(), undefined);
    }));

  it("yields to the event loop between chunks", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      let ticks = 0;
      let running = true;
      const tick = (): void => {
        ticks++;
        if (running) setImmediate(tick);
      };
      setImmediate(tick);
      const seen: number[] = [];
      function* chunks(): Generator<unknown[]> {
        for (let i = 0; i < 3; i++) {
          seen.push(ticks);
          yield records(i, 10);
        }
      }
      await store.write({ index: 1, epoch: 1, header: null }, chunks());
      running = false;
      assert.ok(
        (seen[1] as number) > (seen[0] as number) && (seen[2] as number) > (seen[1] as number),
      );
    }));

  it("falls back to the previous snapshot when the current one is damaged", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      await store.write({ index: 10, epoch: 1, header: "old" }, [records(0, 50)]);
      const current = await store.write({ index: 20, epoch: 2, header: "new" }, [records(0, 60)]);
      const file = path.join(dir, "snap", current.current);
      const buf = await fs.readFile(file);
      await fs.writeFile(file, flipBit(buf, Math.floor(buf.length / 2), 3));
      const loaded = await store.loadLatest();
      assert.equal(loaded?.index, 10);
      assert.equal(loaded?.header, "old");
      assert.deepEqual(loaded?.broken, [`${current.current}.broken`]);
      assert.ok((await fs.readdir(path.join(dir, "snap"))).includes(`${current.current}.broken`));
      assert.equal((await store.manifest())?.index, 10, "the manifest follows the fallback");
    }));

  it("rejects a torn snapshot (no trailer) and one whose count is wrong", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      await store.write({ index: 10, epoch: 1, header: "old" }, [records(0, 5)]);
      const current = await store.write({ index: 20, epoch: 1, header: "new" }, [records(0, 5)]);
      const file = path.join(dir, "snap", current.current);
      const lines = (await fs.readFile(file, "utf8")).split("\n");
      await fs.writeFile(file, [...lines.slice(0, 3), ...lines.slice(4)].join("\n"));
      assert.equal((await store.loadLatest())?.index, 10, "a dropped record fails the trailer");
      await fs.writeFile(path.join(dir, "snap", (await store.manifest())?.current as string), "");
      await assert.rejects(store.loadLatest(), StorageFaultedError);
      await fs.writeFile(path.join(dir, "snap", "MANIFEST.json"), "{ torn");
      await assert.rejects(store.loadLatest(), StorageFaultedError);
    }));

  it("openLatest reads the header now and streams the records, verified, on load", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      assert.equal(await store.openLatest(), undefined, "no snapshot yet");
      const manifest = await store.write({ index: 30, epoch: 2, header: { h: 1 } }, asyncChunks(4, 25));
      const opened = await store.openLatest();
      assert.ok(opened !== undefined);
      assert.deepEqual([opened.index, opened.epoch, opened.logStart, opened.file], [30, 2, null, manifest.current]);
      assert.deepEqual(opened.header, { h: 1 });
      const seen: unknown[] = [];
      await opened.load((r) => seen.push(r));
      assert.deepEqual(seen, records(0, 100));
    }));

  it("load gives the event loop a turn between the records of one read once a slice is used", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      await store.write({ index: 30, epoch: 2, header: {} }, [records(0, 6)]); // one read
      const events: string[] = [];
      const opened = (await store.openLatest())!;
      await opened.load((r) => {
        const id = (r as { id: number }).id;
        events.push(`record ${id}`);
        setImmediate(() => events.push(`turn after ${id}`)); // runs once the loader yields
        const until = performance.now() + 20; // restoring it takes longer than a slice
        while (performance.now() < until) { /* busy */ }
      });
      // Each record's 20 ms use up a slice, so the loop turns before the next record.
      assert.deepEqual(events, records(0, 6).flatMap((r) => [`record ${r.id}`, `turn after ${r.id}`]));
    }));

  it("load steps its pacer instead of only yielding once a slice is used", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      await store.write({ index: 30, epoch: 2, header: {} }, [records(0, 4)]);
      const events: string[] = [];
      const pacer = { step: async () => void events.push("pacer step") };
      await (await store.openLatest())!.load((r) => {
        events.push(`record ${(r as { id: number }).id}`);
        const until = performance.now() + 20; // a slice used up by each record
        while (performance.now() < until) { /* busy */ }
      }, { pacer });
      assert.deepEqual(events, records(0, 4).flatMap((r) => [`record ${r.id}`, "pacer step"]));
    }));

  it("load hands records with the unparsed prefix over unparsed, read back when parsed", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const big = Array.from({ length: 3 }, (_, i) => ({ id: i, body: "x".repeat(300_000 + i) }));
      await store.write({ index: 30, epoch: 2, header: {} }, [records(0, 20), big]);
      const seen: unknown[] = [];
      const opened = (await store.openLatest())!;
      await opened.load((r) => seen.push(r), { unparsedPrefix: '{"id":1' });
      // The bytes stay in the file, read back when parsed: even once the file is gone.
      await fs.rm(path.join(dir, "snap", opened.file));
      const raw = seen.filter((r): r is RawRecord => r instanceof RawRecord);
      assert.deepEqual(raw.map((r) => r.parse()), [records(1, 1)[0], ...records(10, 10), big[1]]);
      assert.equal(raw[0]!.head(7), '{"id":1');
      const all = seen.map((r) => (r instanceof RawRecord ? r.parse() : r));
      assert.deepEqual(all, [...records(0, 20), ...big]);
    }));

  it("a record handed over unparsed is written to a later snapshot byte for byte, if intact", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      // Not what JSON.stringify writes (spaces), so a copy is told from a rewrite.
      const first = await store.write({ index: 30, epoch: 2, header: {} }, [records(0, 3)]);
      const file = path.join(dir, "snap", first.current);
      const original = await fs.readFile(file, "utf8");
      const spaced = original.replace('{"id":1,', '{"id":1 ,   ');
      const lines = spaced.split("\n");
      // Rewrite the file as a valid snapshot of those bytes: records' CRC in the trailer.
      const body = `${lines.slice(0, 4).join("\n")}\n`;
      const trailer = JSON.parse(lines[4]!) as { kind: string; count: number; crc: number };
      const crc = crc32(Buffer.from(body, "utf8"), 0);
      await fs.writeFile(file, `${body}${JSON.stringify({ ...trailer, crc })}\n`);
      await fs.writeFile(path.join(dir, "snap", "MANIFEST.json"),
        JSON.stringify({ ...first, crc }));
      const seen: unknown[] = [];
      const opened = (await store.openLatest())!;
      await opened.load((r) => seen.push(r), { unparsedPrefix: '{"id":1' });
      assert.ok(seen[1] instanceof RawRecord);
      const second = await store.write({ index: 40, epoch: 2, header: {} }, [seen]);
      const copied = (await fs.readFile(path.join(dir, "snap", second.current), "utf8")).split("\n");
      assert.deepEqual(copied.slice(1, 4), lines.slice(1, 4), "the unparsed record kept its spaces");
      assert.deepEqual((await store.loadLatest())?.records, records(0, 3), "and the copy loads, CRC and all");
      // Damaged since it was read: the write refuses rather than copy bad bytes.
      await fs.writeFile(file, (await fs.readFile(file, "utf8")).replace('{"id":1 ,', '{"id":7 ,'));
      await assert.rejects(store.write({ index: 50, epoch: 2, header: {} }, [seen]), /no longer matches its CRC/);
    }));

  it("a record handed over unparsed and larger than the write buffer is copied whole", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const big = [{ id: 1, body: "é".repeat(700_000) }, { id: 2, body: "small" }];
      await store.write({ index: 30, epoch: 2, header: {} }, [big]);
      const seen: unknown[] = [];
      await (await store.openLatest())!.load((r) => seen.push(r), { unparsedPrefix: '{"id":1' });
      assert.ok(seen[0] instanceof RawRecord && !(seen[1] instanceof RawRecord));
      await store.write({ index: 40, epoch: 2, header: {} }, [[seen[1], seen[0], seen[1]]]);
      assert.deepEqual((await store.loadLatest())?.records, [big[1], big[0], big[1]]);
      assert.throws(() => JSON.stringify(seen[0]), /copied as its bytes/);
    }));

  it("a record handed over unparsed and damaged on disk afterwards refuses to parse", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const big = [{ id: 1, body: "x".repeat(300_000) }, { id: 2, body: "y".repeat(10) }];
      await store.write({ index: 30, epoch: 2, header: {} }, [big]);
      const seen: unknown[] = [];
      const opened = (await store.openLatest())!;
      await opened.load((r) => seen.push(r), { unparsedPrefix: '{"id":' });
      const [long, short] = seen as RawRecord[];
      const file = path.join(dir, "snap", opened.file);
      const text = await fs.readFile(file, "latin1");
      // Still valid JSON after the damage: only the CRC can tell.
      await fs.writeFile(file, text.replace("xxxxx", "xxzxx").replace("yyyyy", "yyzyy"), "latin1");
      assert.throws(() => long!.parse(), /no longer matches its CRC/);
      assert.throws(() => short!.parse(), /no longer matches its CRC/);
    }));

  it("a kept snapshot file's descriptor closes once its unparsed records are garbage", () => {
    // Against the built package, in a process whose GC the test may run.
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const script = `
      import { SnapshotStore } from ${JSON.stringify(dist)};
      import { mkdtempSync, readdirSync } from "node:fs";
      import { tmpdir } from "node:os";
      import { join } from "node:path";
      const fds = () => readdirSync("/proc/self/fd").length;
      const store = await SnapshotStore.open(mkdtempSync(join(tmpdir(), "kept-")));
      await store.write({ index: 3, epoch: 1, header: {} }, [[{ id: 1, body: "x".repeat(100) }]]);
      const base = fds();
      let kept = [];
      for (let i = 0; i < 10; i++) {
        const opened = await store.openLatest();
        await opened.load((r) => kept.push(r), { unparsedPrefix: '{"id":' });
        kept.at(-1).parse();
      }
      const held = fds() - base;
      kept = [];
      for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
      console.log(JSON.stringify({ held, left: fds() - base }));`;
    const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script],
      { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { held: 10, left: 0 });
  });

  it("a record shaped like the trailer is a record unless it is the last line", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const fake = { kind: "snapshot-end", count: 1, crc: 0 };
      await store.write({ index: 5, epoch: 1, header: {} }, [[fake, ...records(0, 3), fake]]);
      const seen: unknown[] = [];
      await (await store.openLatest())!.load((r) => seen.push(r));
      assert.deepEqual(seen, [fake, ...records(0, 3), fake]);
      assert.equal((await store.loadLatest())?.records.length, 5);
    }));

  it("openLatest: a snapshot found damaged while streaming is set aside and load rejects", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      await store.write({ index: 10, epoch: 1, header: "old" }, [records(0, 50)]);
      const current = await store.write({ index: 20, epoch: 2, header: "new" }, [records(0, 60)]);
      const file = path.join(dir, "snap", current.current);
      const lines = (await fs.readFile(file, "utf8")).split("\n");
      await fs.writeFile(file, lines.slice(0, -3).join("\n") + "\n"); // torn: no trailer
      const opened = await store.openLatest();
      assert.equal(opened?.index, 20, "the header alone looks fine");
      await assert.rejects(opened!.load(() => undefined), StorageFaultedError);
      assert.ok((await fs.readdir(path.join(dir, "snap"))).includes(`${current.current}.broken`));
      const again = await store.openLatest();
      assert.equal(again?.index, 10, "the next open falls back to the previous snapshot");
      const seen: unknown[] = [];
      await again!.load((r) => seen.push(r));
      assert.deepEqual(seen, records(0, 50));
    }));

  it("ignores leftover temp files: the manifest is replaced atomically", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const manifest = await store.write({ index: 5, epoch: 1, header: 1 }, [records(0, 3)]);
      const snap = path.join(dir, "snap");
      await fs.writeFile(path.join(snap, ".MANIFEST.json.99999.tmp"), '{"current":"snap-x');
      await fs.writeFile(path.join(snap, "snap-0000000000000001-0000000000000009.jsonl.tmp"), "{");
      const reopened = await SnapshotStore.open(dir, noSyncIo);
      assert.deepEqual(await reopened.manifest(), manifest);
      assert.equal((await reopened.loadLatest())?.index, 5);
      assert.deepEqual(
        (await fs.readdir(snap)).filter((n) => n.endsWith(".tmp")),
        [],
      );
    }));

  it("keeps the current snapshot and one older one", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      for (const index of [10, 20, 30, 40]) {
        await store.write({ index, epoch: 1, header: index }, [records(0, 2)]);
      }
      const names = (await fs.readdir(path.join(dir, "snap"))).filter((n) => n.startsWith("snap-"));
      assert.deepEqual(names.sort(), [
        "snap-0000000000000001-0000000000000030.jsonl",
        "snap-0000000000000001-0000000000000040.jsonl",
      ]);
      await assert.rejects(
        store.write({ index: 40, epoch: 1, header: 0 }, []),
        /already the current/,
      );
    }));

  it("a failed write leaves no temp file and the manifest as it was", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const before = await store.write({ index: 5, epoch: 1, header: 1 }, [records(0, 3)]);
      async function* failing(): AsyncGenerator<unknown[]> {
        yield records(0, 3);
        throw new Error("state iterator broke");
      }
      await assert.rejects(store.write({ index: 9, epoch: 1, header: 1 }, failing()), /broke/);
      assert.deepEqual(await store.manifest(), before);
      assert.deepEqual(
        (await fs.readdir(path.join(dir, "snap"))).filter((n) => n.endsWith(".tmp")),
        [],
      );
    }));

  it("records logStart for an installed snapshot (R19)", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, noSyncIo);
      const manifest = await store.write({ index: 70, epoch: 4, header: 0, installed: true }, []);
      assert.equal(manifest.logStart, 71);
      assert.equal((await store.loadLatest())?.logStart, 71);
    }));
});

describe("snapshot + log replay equals replaying the whole log", () => {
  it("after compaction every entry above the snapshot index is still replayed", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 2048, io: noSyncIo };
      const first = await CommitLog.open<TestEntry>(dir, options);
      for (let i = 1; i <= 300; i += 20) {
        await first.log.append(makeEntries(i, 20, 1 + Math.floor(i / 100)));
      }
      await first.log.truncateAfter(250);
      await first.log.append(makeEntries(251, 30, 4));
      await first.log.close();
      const { log, entries: whole } = await CommitLog.open<TestEntry>(dir, options);
      assert.equal(whole.length, 280);
      // The state machine's snapshot at s: here simply the entries up to s.
      const s = 200;
      const store = await SnapshotStore.open(dir, noSyncIo);
      const manifest = await store.write(
        { index: s, epoch: log.epochAt(s), header: { note: "state at 200" } },
        [whole.slice(0, s)],
      );
      const slack = 50;
      assert.ok((await log.compact(manifest.index - slack)) > 0, "some segments deleted");
      await log.close();

      const loaded = await store.loadLatest();
      assert.ok(loaded !== undefined);
      const reopened = await CommitLog.open<TestEntry>(dir, {
        ...options,
        snapshot: { index: loaded.index, epoch: loaded.epoch, logStart: loaded.logStart },
      });
      assert.equal(reopened.report.corruption, undefined);
      assert.ok(reopened.log.firstIndex <= s - slack + 1);
      assert.deepEqual([...(loaded.records as TestEntry[]), ...reopened.entries], whole);
      await reopened.log.close();
    }));

  it("entries a snapshot covers are not parsed, yet their CRC and epochs still count", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 4096, io: noSyncIo };
      const first = await CommitLog.open<TestEntry>(dir, options);
      for (let i = 1; i <= 100; i += 10) await first.log.append(makeEntries(i, 10, i <= 50 ? 1 : 2));
      await first.log.close();
      const at = (snapshot: { index: number; epoch: number }) =>
        CommitLog.open<TestEntry>(dir, { ...options, snapshot: { ...snapshot, logStart: null } });
      const ok = await at({ index: 60, epoch: 2 });
      assert.equal(ok.report.corruption, undefined);
      assert.deepEqual(ok.entries, makeEntries(61, 40, 2), "entries after the snapshot, parsed whole");
      await ok.log.close();
      const wrongEpoch = await at({ index: 40, epoch: 2 });
      assert.match(wrongEpoch.report.corruption?.reason ?? "", /epoch 1 at 40/);
      await wrongEpoch.log.close();
      // A flipped bit in a covered entry still fails its CRC: damage before the last marker.
      const seg = (await fs.readdir(path.join(dir, "wal"))).sort()[0]!;
      const file = path.join(dir, "wal", seg);
      const text = await fs.readFile(file, "utf8");
      await fs.writeFile(file, text.replace("message 3\"", "massage 3\""));
      const damaged = await at({ index: 60, epoch: 2 });
      assert.ok(damaged.report.corruption !== undefined, "a covered entry is CRC-checked");
      await damaged.log.close();
    }));

  it("a covered entry is read from its prefix only: JSON past it is not parsed", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytesMax: 4096, io: noSyncIo };
      const first = await CommitLog.open<TestEntry>(dir, options);
      await first.log.append(makeEntries(1, 4, 1));
      // Stored intact (CRC and all), but not JSON beyond its {"index","epoch"} prefix.
      await first.log.appendRaw([{ index: 5, epoch: 1, json: '{"index":5,"epoch":1,"not json' }]);
      await first.log.append(makeEntries(6, 5, 1));
      await first.log.close();
      const covered = await CommitLog.open<TestEntry>(dir, { ...options, snapshot: { index: 5, epoch: 1, logStart: null } });
      assert.equal(covered.report.corruption, undefined, "never parsed: the snapshot covers it");
      assert.deepEqual(covered.entries, makeEntries(6, 5, 1));
      await covered.log.close();
      const whole = await CommitLog.open<TestEntry>(dir, options).then(
        async (opened) => {
          await opened.log.close();
          return opened.report.corruption;
        },
        (err: unknown) => err);
      assert.ok(whole !== undefined, "without a snapshot the same entry must be parsed, and fails");
    }));
});
