// DurableJsonFile: fsyncs file and directory on every write, keeps call order, survives a
// leftover temp file, and poisons itself after a failed sync (S2).
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { Low } from "lowdb";
import { DurableJsonFile } from "./durable-file.js";
import { StorageFatalError } from "./errors.js";
import { countingIo, withTempDir } from "./testing/fixtures.js";

describe("DurableJsonFile", () => {
  it("reads null for a missing file and round-trips through lowdb", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "x.json");
      const adapter = new DurableJsonFile<{ n: number }>(file);
      assert.equal(await adapter.read(), null);
      const db = new Low(adapter, { n: 0 });
      await db.update((d) => (d.n = 7));
      assert.deepEqual(JSON.parse(await fs.readFile(file, "utf8")), { n: 7 });
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    }));

  it("fsyncs the temp file and the directory on each write", () =>
    withTempDir(async (dir) => {
      const io = countingIo();
      const adapter = new DurableJsonFile<number>(path.join(dir, "x.json"), io);
      await adapter.write(1);
      assert.equal(io.counts["sync"], 2);
      assert.deepEqual(await fs.readdir(dir), ["x.json"], "no temp file left behind");
    }));

  it("applies overlapping writes in call order, none coalesced away", () =>
    withTempDir(async (dir) => {
      const io = countingIo();
      const adapter = new DurableJsonFile<number>(path.join(dir, "x.json"), io);
      const order: number[] = [];
      await Promise.all([1, 2, 3].map((n) => adapter.write(n).then(() => order.push(n))));
      assert.deepEqual(order, [1, 2, 3]);
      assert.equal(io.counts["sync"], 6);
      assert.equal(await adapter.read(), 3);
    }));

  it("captures the data at call time", () =>
    withTempDir(async (dir) => {
      const adapter = new DurableJsonFile<{ v: number }>(path.join(dir, "x.json"));
      const data = { v: 1 };
      const done = adapter.write(data);
      data.v = 2;
      await done;
      assert.deepEqual(await adapter.read(), { v: 1 });
    }));

  it("a failed fsync is fatal and leaves the old file in place", () =>
    withTempDir(async (dir) => {
      let fail = false;
      const io = countingIo({
        async sync(fh) {
          if (fail) throw Object.assign(new Error("EIO"), { code: "EIO" });
          await fh.sync();
        },
      });
      const file = path.join(dir, "x.json");
      const adapter = new DurableJsonFile<number>(file, io);
      await adapter.write(1);
      fail = true;
      await assert.rejects(adapter.write(2), StorageFatalError);
      fail = false;
      await assert.rejects(adapter.write(3), StorageFatalError, "poisoned: never retried");
      assert.equal(await adapter.read(), 1);
      assert.deepEqual(await fs.readdir(dir), ["x.json"]);
    }));
});
