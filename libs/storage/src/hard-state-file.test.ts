// HardStateFile: two slots updated in place; the latest intact slot wins, a torn slot falls
// back to the previous state, both slots damaged is refused, one fdatasync per update.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { StorageFatalError } from "./errors.js";
import { HardStateFile } from "./hard-state-file.js";
import { nodeFileIo } from "./io.js";
import { hardStateSlotBytes } from "./limits.js";
import { countingIo, withTempDir } from "./testing/fixtures.js";

type State = { epoch: number };

function flip(bytes: Buffer, offset: number): void {
  bytes.writeUInt8(bytes.readUInt8(offset) ^ 0x01, offset);
}

describe("HardStateFile", () => {
  it("creates the file with the initial state and keeps the latest write across reopen", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "hardstate");
      const io = countingIo();
      const hs = await HardStateFile.open<State>(file, io, () => ({ epoch: 1 }));
      assert.deepEqual(hs.state, { epoch: 1 });
      assert.equal((await fs.stat(file)).size, 2 * hardStateSlotBytes);
      const syncsAfterCreate = io.counts["datasync"];
      for (let epoch = 2; epoch <= 5; epoch++) await hs.write({ epoch });
      const syncs = io.counts["datasync"] as number;
      assert.equal(syncs, (syncsAfterCreate as number) + 4, "one fdatasync per write");
      await hs.close();
      const again = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 0 }));
      assert.deepEqual(again.state, { epoch: 5 });
      await again.close();
      assert.equal((await fs.stat(file)).size, 2 * hardStateSlotBytes, "updated in place");
    }));

  it("falls back to the other slot when the latest is torn, then writes over the torn one", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "hardstate");
      const hs = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 1 }));
      await hs.write({ epoch: 2 }); // seq 2 → slot 0
      await hs.write({ epoch: 3 }); // seq 3 → slot 1
      await hs.close();
      const bytes = await fs.readFile(file);
      flip(bytes, hardStateSlotBytes + 20); // tear slot 1 (epoch 3: never promised)
      await fs.writeFile(file, bytes);
      const torn = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 0 }));
      assert.deepEqual(torn.state, { epoch: 2 });
      await torn.write({ epoch: 4 });
      await torn.close();
      const again = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 0 }));
      assert.deepEqual(again.state, { epoch: 4 });
      await again.close();
    }));

  it("refuses a file whose two slots are both damaged", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "hardstate");
      const hs = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 1 }));
      await hs.close();
      const bytes = await fs.readFile(file);
      flip(bytes, 20);
      flip(bytes, hardStateSlotBytes + 20);
      await fs.writeFile(file, bytes);
      const open = HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 0 }));
      await assert.rejects(open, /both/);
    }));

  it("writes through FileIo: short writes still land whole, in the right slot", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "hardstate");
      const short = countingIo({
        writeAt: (fh, buf, offset, length, position) =>
          nodeFileIo.writeAt(fh, buf, offset, Math.min(length, 100), position),
      });
      const hs = await HardStateFile.open<State>(file, short, () => ({ epoch: 1 }));
      await hs.write({ epoch: 2 });
      await hs.write({ epoch: 3 });
      await hs.close();
      const calls = 4 * Math.ceil(hardStateSlotBytes / 100);
      assert.equal(short.counts["writeAt"], calls, "two slots at creation, two updates");
      const again = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 0 }));
      assert.deepEqual(again.state, { epoch: 3 });
      await again.close();
    }));

  it("a failed write fails the file for good and leaves the last durable state", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "hardstate");
      let failing = false;
      const io = countingIo({
        writeAt: (fh, buf, offset, length, position) => {
          if (failing) return Promise.reject(Object.assign(new Error("EIO"), { code: "EIO" }));
          return nodeFileIo.writeAt(fh, buf, offset, length, position);
        },
      });
      const hs = await HardStateFile.open<State>(file, io, () => ({ epoch: 1 }));
      await hs.write({ epoch: 2 });
      failing = true;
      await assert.rejects(hs.write({ epoch: 3 }), StorageFatalError);
      failing = false;
      // S2: never retried, even once writes would succeed again.
      await assert.rejects(hs.write({ epoch: 4 }), StorageFatalError);
      assert.equal(io.counts["datasync"], 1, "no fdatasync after the failed write");
      await hs.close();
      const again = await HardStateFile.open<State>(file, nodeFileIo, () => ({ epoch: 0 }));
      assert.deepEqual(again.state, { epoch: 2 });
      await again.close();
    }));

  it("a failed write while creating leaves no hard-state file", () =>
    withTempDir(async (dir) => {
      const file = path.join(dir, "hardstate");
      const io = countingIo({ writeAt: () => Promise.reject(new Error("EIO")) });
      await assert.rejects(HardStateFile.open<State>(file, io, () => ({ epoch: 1 })), /EIO/);
      assert.deepEqual(await fs.readdir(dir), [], "neither the file nor its temp copy");
    }));
});
