// The file operations whose failure or timing matters to durability, behind a small
// interface so tests can count fsyncs, force short writes or inject a write or fsync error;
// plus the helpers every writer here shares (write-all loops, directory fsync, private
// directories).
import { writeSync } from "node:fs";
import * as fs from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";

export interface FileIo {
  /** One write call at the file's current position; may write fewer bytes than asked. */
  write(fh: FileHandle, buf: Uint8Array, offset: number, length: number): Promise<number>;
  /** One write call at byte `position` of the file (pwrite); may write fewer bytes than asked. */
  writeAt(
    fh: FileHandle, buf: Uint8Array, offset: number, length: number, position: number,
  ): Promise<number>;
  /** fdatasync: the data and the metadata needed to read it back. */
  datasync(fh: FileHandle): Promise<void>;
  /** fsync: used for new files, renames and directories. */
  sync(fh: FileHandle): Promise<void>;
}

export const nodeFileIo: FileIo = {
  // A synchronous write: every write here is a bounded append into the page cache (a WAL batch,
  // a snapshot piece, a meta file; each ≤ 1 MiB) that takes microseconds, while a thread-pool
  // round trip costs a turn of the event loop — under load milliseconds on the commit path.
  // Durability still comes only from the (asynchronous) datasync/sync that follows.
  async write(fh, buf, offset, length) {
    return writeSync(fh.fd, buf, offset, length);
  },
  async writeAt(fh, buf, offset, length, position) {
    return writeSync(fh.fd, buf, offset, length, position);
  },
  datasync: (fh) => fh.datasync(),
  sync: (fh) => fh.sync(),
};

/** Private to the node: directories 0700, files 0600. */
export const dirMode = 0o700;
export const fileMode = 0o600;

/** Writes every byte: `write` may write fewer bytes than asked, so loop (R5). */
export async function writeAll(io: FileIo, fh: FileHandle, buf: Uint8Array): Promise<void> {
  let offset = 0;
  // Bounded: every turn writes at least one byte, or throws.
  while (offset < buf.length) {
    const written = await io.write(fh, buf, offset, buf.length - offset);
    if (!(written > 0)) throw new Error(`write made no progress at byte ${offset}`);
    offset += written;
  }
}

/** Writes every byte of `buf` at byte `position` of the file, looping like `writeAll`. */
export async function writeAllAt(
  io: FileIo, fh: FileHandle, buf: Uint8Array, position: number,
): Promise<void> {
  let offset = 0;
  // Bounded: every turn writes at least one byte, or throws.
  while (offset < buf.length) {
    const written = await io.writeAt(fh, buf, offset, buf.length - offset, position + offset);
    if (!(written > 0)) throw new Error(`write made no progress at byte ${offset}`);
    offset += written;
  }
}

/** fsync a directory so a create, rename or unlink in it survives a power loss (§8.5). */
export async function fsyncDir(io: FileIo, dir: string): Promise<void> {
  const dh = await fs.open(dir, "r"); // a directory opens read-only; 'w' fails on Linux
  try {
    await io.sync(dh);
  } finally {
    await dh.close();
  }
}

/** Creates `dir` (0700) and its missing parents, fsyncing each parent that gained an entry. */
export async function ensureDir(io: FileIo, dir: string): Promise<void> {
  const created = await fs.mkdir(dir, { recursive: true, mode: dirMode });
  if (created === undefined) return;
  // `created` is the first directory made; every one from there down is new.
  let current = path.resolve(dir);
  const first = path.resolve(created);
  for (;;) {
    await fsyncDir(io, path.dirname(current));
    if (current === first) return;
    current = path.dirname(current);
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
