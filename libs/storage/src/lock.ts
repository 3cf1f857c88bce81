// The data-dir lock (§8.1, R5): one process per data dir, so two processes never write one
// log. `<dir>/LOCK` holds the owner's pid. It is created atomically with its content (a temp
// file hard-linked into place, which fails if LOCK exists), so a reader never sees an empty
// lock. A lock whose pid is dead is stale and taken over; a live pid (this process included)
// means the dir is in use. Pid reuse can make a stale lock look live: the error names the
// pid, and the operator removes LOCK.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { dirMode, fileMode, isErrno } from "./io.js";
import { lockTakeoverAttemptsMax } from "./limits.js";

export interface DataDirLock {
  readonly file: string;
  /** The dead pid whose stale lock was taken over, if any. */
  readonly tookOverFromPid: number | undefined;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  await fs.mkdir(dir, { recursive: true, mode: dirMode });
  const file = path.join(dir, "LOCK");
  let tookOverFromPid: number | undefined;
  for (let attempt = 0; attempt < lockTakeoverAttemptsMax; attempt++) {
    if (await tryCreate(file)) return makeLock(file, tookOverFromPid);
    const holder = await readPid(file);
    if (holder !== undefined && isAlive(holder)) {
      throw new Error(`data dir ${dir} is in use by pid ${holder}`);
    }
    tookOverFromPid = holder;
    await fs.rm(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`data dir ${dir}: could not take ${file} (contended)`);
}

async function tryCreate(file: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${process.pid}\n`, { mode: fileMode });
  try {
    await fs.link(tmp, file);
    return true;
  } catch (error) {
    if (isErrno(error, "EEXIST")) return false;
    throw error;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await fs.readFile(file, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, "EPERM"); // exists, owned by someone else
  }
}

function makeLock(file: string, tookOverFromPid: number | undefined): DataDirLock {
  let released = false;
  return {
    file,
    tookOverFromPid,
    async release() {
      if (released) return;
      released = true;
      if ((await readPid(file)) === process.pid) await fs.rm(file, { force: true });
    },
  };
}
