// A lowdb adapter that is durable, not only atomic (§8.6, GRPC-NOTES "lowdb"): stock
// JSONFile renames a temp file without any fsync, so after a power loss the file may be
// empty or stale. Here a write is tmp → FileHandle.sync() → close → rename → fsync of the
// directory, writes are serialised (none coalesced away), and `write` resolves only when
// that exact state is durable. A failure is fatal (S2) and poisons the adapter.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Adapter } from "lowdb";
import { fatal, StorageFatalError } from "./errors.js";
import { fileMode, fsyncDir, isErrno, nodeFileIo, writeAll, type FileIo } from "./io.js";

export class DurableJsonFile<T> implements Adapter<T> {
  private last: Promise<void> = Promise.resolve();
  private failure: StorageFatalError | undefined;
  private readonly tmp: string;

  constructor(readonly file: string, private readonly io: FileIo = nodeFileIo) {
    this.tmp = tmpName(file, process.pid);
  }

  /** The parsed file, or null when it does not exist. */
  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, "utf8");
    } catch (error) {
      if (isErrno(error, "ENOENT")) return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  /** Durably replaces the file with `data` as it is now; writes apply in call order. */
  write(data: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const text = `${JSON.stringify(data, null, 2)}\n`; // now: later mutations are later writes
    const next = this.last.then(() => this.replace(text));
    this.last = next.catch(() => undefined);
    return next;
  }

  private async replace(text: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      const fh = await fs.open(this.tmp, "w", fileMode);
      try {
        await writeAll(this.io, fh, Buffer.from(text, "utf8"));
        await this.io.sync(fh);
      } finally {
        await fh.close();
      }
      await fs.rename(this.tmp, this.file);
      await fsyncDir(this.io, path.dirname(this.file));
    } catch (error) {
      await fs.rm(this.tmp, { force: true }).catch(() => undefined);
      this.failure = fatal(`durably replacing ${this.file}`, error);
      throw this.failure;
    }
  }
}

function tmpName(file: string, pid: number): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${pid}.tmp`);
}

/** Deletes temp files a crashed writer left next to `file` (never the live file itself). */
export async function removeStaleTmp(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith(prefix) && /^\d+\.tmp$/.test(name.slice(prefix.length))) {
      if (name !== path.basename(tmpName(file, process.pid))) {
        await fs.rm(path.join(dir, name), { force: true });
      }
    }
  }
}
