// A snapshot received as a file (R19): bytes in parts → temp file → verified → adopted as the
// installed snapshot; a transfer cut short, damaged or at the wrong position is refused and
// leaves nothing behind; temp files of a crash are removed at open; the sender's source reads
// the current file in bounded chunks, even after a newer snapshot pruned it.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { snapshotReceiveChunkBytesMax } from "./limits.js";
import { SnapshotStore } from "./snapshot-store.js";
import { withTempDir } from "./testing/fixtures.js";

const records = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: i, body: `record ${i} ${"x".repeat(40)}` }));

/** A sender's snapshot file at (epoch 2, index 40): its bytes. */
async function senderFile(dir: string, count = 5_000): Promise<Buffer> {
  const store = await SnapshotStore.open(path.join(dir, "sender"));
  const meta = { index: 40, epoch: 2, header: { view: "v" } };
  const manifest = await store.write(meta, [records(count)]);
  return fs.readFile(path.join(dir, "sender", "snap", manifest.current));
}

function partsOf(bytes: Buffer, partBytes: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += partBytes) {
    parts.push(bytes.subarray(at, at + partBytes));
  }
  return parts;
}

const snapFiles = async (dir: string): Promise<string[]> =>
  (await fs.readdir(path.join(dir, "snap"))).filter((n) => n !== "MANIFEST.json").sort();

describe("SnapshotStore.receive / adopt", () => {
  it("parts go to a temp file, verify, and adopt as the installed snapshot", () =>
    withTempDir(async (dir) => {
      const bytes = await senderFile(dir);
      const local = path.join(dir, "receiver");
      const store = await SnapshotStore.open(local);
      await store.write({ index: 10, epoch: 1, header: null }, [records(3)]);
      const receiver = await store.receive({ index: 40, epoch: 2 });
      const parts = partsOf(bytes, 4_096);
      assert.ok(parts.length > 50, "many parts");
      for (const part of parts) assert.equal(await receiver.write(part), undefined);
      assert.equal(receiver.bytes, bytes.length);
      const received = await receiver.finish();
      assert.ok(typeof received !== "string", String(received));
      assert.equal(received.bytes, bytes.length);
      assert.deepEqual(received.header, { view: "v" });
      const waiting = (await snapFiles(local)).some((n) => n.startsWith("recv-"));
      assert.ok(waiting, "waits as a temp file");
      const manifest = await store.adopt(received);
      assert.equal(manifest.logStart, 41, "installed: the log restarts after it");
      assert.deepEqual(await snapFiles(local), ["snap-0000000000000001-0000000000000010.jsonl",
        "snap-0000000000000002-0000000000000040.jsonl"]);
      const loaded = await store.loadLatest();
      assert.equal(loaded?.logStart, 41, "MANIFEST's logStart, not the sender's header");
      assert.deepEqual(loaded?.records, records(5_000));
      assert.equal((await store.openLatest())?.logStart, 41);
      assert.ok((await fs.readFile(path.join(local, "snap", manifest.current))).equals(bytes),
        "byte-identical to the sender's file");
    }));

  it("a transfer cut short (aborted or without its trailer) leaves nothing behind", () =>
    withTempDir(async (dir) => {
      const bytes = await senderFile(dir);
      const store = await SnapshotStore.open(path.join(dir, "receiver"));
      const cut = await store.receive({ index: 40, epoch: 2 });
      await cut.write(bytes.subarray(0, bytes.length / 2));
      await cut.abort();
      assert.deepEqual(await snapFiles(path.join(dir, "receiver")), []);
      const torn = await store.receive({ index: 40, epoch: 2 });
      await torn.write(bytes.subarray(0, bytes.length - 10));
      assert.match(String(await torn.finish()), /torn|trailer/);
      assert.deepEqual(await snapFiles(path.join(dir, "receiver")), []);
      assert.equal(await store.manifest(), undefined);
    }));

  it("damaged bytes fail verification: refused, never adoptable", () =>
    withTempDir(async (dir) => {
      const bytes = Buffer.from(await senderFile(dir));
      const at = bytes.indexOf("record 2500");
      bytes.write("RECORD", at);
      const store = await SnapshotStore.open(path.join(dir, "receiver"));
      const receiver = await store.receive({ index: 40, epoch: 2 });
      for (const part of partsOf(bytes, 65_536)) await receiver.write(part);
      assert.equal(await receiver.finish(), "trailer crc mismatch");
      assert.deepEqual(await snapFiles(path.join(dir, "receiver")), []);
    }));

  it("refuses a file at another position than announced, and an oversized part", () =>
    withTempDir(async (dir) => {
      const bytes = await senderFile(dir);
      const store = await SnapshotStore.open(path.join(dir, "receiver"));
      const wrong = await store.receive({ index: 41, epoch: 2 });
      await wrong.write(bytes);
      assert.match(String(await wrong.finish()), /announced \(41, 2\)/);
      const big = await store.receive({ index: 40, epoch: 2 });
      const problem = await big.write(Buffer.alloc(snapshotReceiveChunkBytesMax + 1));
      assert.match(String(problem), /exceeds/);
      assert.equal(await big.write(bytes), problem, "refused for good");
      assert.deepEqual(await snapFiles(path.join(dir, "receiver")), []);
    }));

  it("two transfers at once use two temp files; a discarded one is removed", () =>
    withTempDir(async (dir) => {
      const bytes = await senderFile(dir, 100);
      const store = await SnapshotStore.open(path.join(dir, "receiver"));
      const a = await store.receive({ index: 40, epoch: 2 });
      const b = await store.receive({ index: 40, epoch: 2 });
      assert.notEqual(a.tmpFile, b.tmpFile);
      await a.write(bytes);
      await b.write(bytes);
      const [ra, rb] = [await a.finish(), await b.finish()];
      assert.ok(typeof ra !== "string" && typeof rb !== "string");
      await store.discard(ra);
      await store.adopt(rb);
      assert.deepEqual(await snapFiles(path.join(dir, "receiver")),
        ["snap-0000000000000002-0000000000000040.jsonl"]);
    }));

  it("temp files left by a crash are removed when the store opens", () =>
    withTempDir(async (dir) => {
      const bytes = await senderFile(dir, 100);
      const local = path.join(dir, "receiver");
      const store = await SnapshotStore.open(local);
      const receiver = await store.receive({ index: 40, epoch: 2 });
      await receiver.write(bytes.subarray(0, 100)); // the process dies here
      assert.equal((await snapFiles(local)).length, 1);
      await SnapshotStore.open(local);
      assert.deepEqual(await snapFiles(local), []);
      await receiver.abort(); // the dead process's handle, closed here rather than by the GC
    }));
});

describe("SnapshotStore.source", () => {
  it("reads the current file in bounded chunks, even once a newer snapshot pruned it", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      await store.write({ index: 40, epoch: 2, header: null }, [records(5_000)]);
      assert.equal(await store.source(39), undefined, "not the current one");
      const source = await store.source(40);
      assert.ok(source !== undefined);
      const expected = await fs.readFile(path.join(dir, "snap", source.name));
      assert.equal(source.bytes, expected.length);
      const chunks: Buffer[] = [];
      for await (const chunk of source.chunks(10_000)) {
        assert.ok(chunk.length <= 10_000);
        chunks.push(Buffer.from(chunk));
        if (chunks.length === 2) {
          // Two newer snapshots: the one being read is pruned (kept: current + one).
          await store.write({ index: 50, epoch: 2, header: null }, [records(1)]);
          await store.write({ index: 60, epoch: 2, header: null }, [records(1)]);
          assert.ok(!(await snapFiles(dir)).includes(source.name));
        }
      }
      assert.ok(Buffer.concat(chunks).equals(expected));
      await source.close();
    }));
});
