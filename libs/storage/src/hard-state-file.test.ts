// HardStateFile: two slots updated in place; the latest intact slot wins, a torn slot falls
// back to the previous state, both slots damaged is refused, one fdatasync per update.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
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
});
