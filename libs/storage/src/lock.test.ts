// The data-dir lock: one holder; a live holder's pid is named in the error; a dead holder's
// lock is taken over.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { once } from "node:events";
import { describe, it } from "node:test";
import { lockDataDir } from "./lock.js";
import { withTempDir } from "./testing/fixtures.js";

describe("lockDataDir", () => {
  it("is exclusive until released", () =>
    withTempDir(async (dir) => {
      const lock = await lockDataDir(dir);
      assert.equal(await fs.readFile(path.join(dir, "LOCK"), "utf8"), `${process.pid}\n`);
      await assert.rejects(lockDataDir(dir), new RegExp(`in use by pid ${process.pid}`));
      await lock.release();
      const again = await lockDataDir(dir);
      assert.equal(again.tookOverFromPid, undefined);
      await again.release();
      assert.deepEqual(await fs.readdir(dir), []);
    }));

  it("names a live holder in another process", () =>
    withTempDir(async (dir) => {
      const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], {
        stdio: "ignore",
      });
      try {
        await fs.writeFile(path.join(dir, "LOCK"), `${child.pid}\n`);
        await assert.rejects(
          lockDataDir(dir),
          new RegExp(`data dir .* is in use by pid ${child.pid}`),
        );
      } finally {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }));

  it("takes over a stale lock whose process is gone", () =>
    withTempDir(async (dir) => {
      const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      await once(child, "exit");
      await fs.writeFile(path.join(dir, "LOCK"), `${child.pid}\n`);
      const lock = await lockDataDir(dir);
      assert.equal(lock.tookOverFromPid, child.pid);
      assert.equal(await fs.readFile(path.join(dir, "LOCK"), "utf8"), `${process.pid}\n`);
      await lock.release();
    }));

  it("treats an unreadable lock as stale", () =>
    withTempDir(async (dir) => {
      await fs.writeFile(path.join(dir, "LOCK"), "garbage");
      const lock = await lockDataDir(dir);
      await lock.release();
    }));
});
