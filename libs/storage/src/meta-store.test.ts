// MetaStore: identity minted once, durable updates, votes that never change, epochs that
// never go back, and a data dir that belongs to one node of one cluster.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, it } from "node:test";
import { votedForEpochsMax } from "./limits.js";
import { MetaStore } from "./meta-store.js";
import { withTempDir } from "./testing/fixtures.js";

const init = { clusterId: "c-1", nodeId: 2 };

describe("MetaStore", () => {
  it("creates meta.json with a fresh storageId, private dir and file", () =>
    withTempDir(async (root) => {
      const dir = path.join(root, "data", "node2");
      const meta = await MetaStore.open(dir, init);
      assert.equal(meta.created, true);
      assert.match(meta.data.storageId, /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        { ...meta.data, storageId: "" },
        {
          clusterId: "c-1",
          nodeId: 2,
          storageId: "",
          epoch: 0,
          votedFor: {},
          commitHint: 0,
          hardState: true,
        },
      );
      assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
      assert.equal((await fs.stat(path.join(dir, "meta.json"))).mode & 0o777, 0o600);
      const other = await MetaStore.open(path.join(root, "data", "node3"), init);
      assert.notEqual(other.data.storageId, meta.data.storageId);
      await meta.close();
      await other.close();
    }));

  it("keeps identity across restarts and persists updates before resolving", () =>
    withTempDir(async (dir) => {
      const meta = await MetaStore.open(dir, init);
      await meta.update({ epoch: 3, votedFor: { "3": 1 }, commitHint: 17 });
      const again = await MetaStore.open(dir, init);
      assert.equal(again.created, false);
      assert.equal(again.data.storageId, meta.data.storageId);
      assert.equal(again.data.epoch, 3);
      assert.deepEqual(again.data.votedFor, { "3": 1 });
      assert.equal(again.data.commitHint, 17);
      await meta.close();
      await again.close();
    }));

  it("keeps a damaged reach across restarts until it is cleared (S4, refinement 23)", () =>
    withTempDir(async (dir) => {
      const meta = await MetaStore.open(dir, init);
      await meta.update({ epoch: 4, damagedReach: { lastEpoch: 3, lastIndex: 90 } });
      await meta.update({ commitHint: 80 }); // other updates keep it
      await meta.close();
      const again = await MetaStore.open(dir, init);
      assert.deepEqual(again.data.damagedReach, { lastEpoch: 3, lastIndex: 90 });
      await again.update({ epoch: 4, damagedReach: null });
      await again.close();
      const cleared = await MetaStore.open(dir, init);
      assert.ok(cleared.data.damagedReach == null);
      assert.equal(cleared.data.commitHint, 80);
      await cleared.close();
    }));

  it("refuses a data dir of another node or cluster", () =>
    withTempDir(async (dir) => {
      await (await MetaStore.open(dir, init)).close();
      await assert.rejects(
        MetaStore.open(dir, { ...init, nodeId: 1 }),
        /belongs to cluster c-1 node 2/,
      );
      await assert.rejects(MetaStore.open(dir, { ...init, clusterId: "c-2" }), /belongs to/);
    }));

  it("never lowers the epoch nor changes a vote", () =>
    withTempDir(async (dir) => {
      const meta = await MetaStore.open(dir, init);
      await meta.update({ epoch: 5, votedFor: { "5": 0 } });
      await assert.rejects(meta.update({ epoch: 4 }), /below/);
      await assert.rejects(meta.update({ votedFor: { "5": 1 } }), /already voted/);
      await meta.update({ votedFor: { "5": 0, "6": 2 } }); // the same vote again is fine
      assert.deepEqual(meta.data.votedFor, { "5": 0, "6": 2 });
      assert.equal(meta.data.epoch, 5);
      await meta.close();
    }));

  it("keeps the votes of the newest epochs only", () =>
    withTempDir(async (dir) => {
      const meta = await MetaStore.open(dir, init);
      for (let e = 1; e <= votedForEpochsMax + 5; e++)
        await meta.update({ epoch: e, votedFor: { [e]: 0 } });
      const epochs = Object.keys(meta.data.votedFor).map(Number);
      assert.equal(epochs.length, votedForEpochsMax);
      assert.equal(Math.min(...epochs), 6);
      await meta.close();
    }));

  it("continues from the hard state of a meta.json written before the hardstate file", () =>
    withTempDir(async (dir) => {
      const meta = await MetaStore.open(dir, init);
      const storageId = meta.data.storageId;
      await meta.close();
      const file = path.join(dir, "meta.json");
      const { hardState: _made, ...written } = JSON.parse(await fs.readFile(file, "utf8"));
      const old = { ...written, epoch: 7, votedFor: { "7": 1 }, commitHint: 9 };
      await fs.writeFile(file, JSON.stringify(old));
      await fs.rm(path.join(dir, "hardstate"));
      const again = await MetaStore.open(dir, init);
      assert.deepEqual({ ...again.data }, { ...old, storageId, hardState: true });
      await again.close();
    }));

  it("refuses to start when hardstate is lost after it was made (its votes would come back)", () =>
    withTempDir(async (dir) => {
      const meta = await MetaStore.open(dir, init);
      await meta.update({ epoch: 3, votedFor: { "3": 1 } });
      await meta.close();
      await fs.rm(path.join(dir, "hardstate"));
      await assert.rejects(MetaStore.open(dir, init), /hardstate is missing .* votes are lost/);
    }));
});
