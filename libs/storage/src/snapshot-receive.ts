// Receiving a snapshot file from the primary (R19) and sending one, without holding it in
// memory. The receiver writes the bytes to a temp file in the snapshot dir as they arrive and
// verifies them on the way with the reader's own checks (SnapshotVerifier); `finish` fsyncs
// the file and hands back a ReceivedSnapshot, which SnapshotStore.adopt makes the current
// snapshot (rename, directory fsync, MANIFEST). A temp file left by a crash ends in
// `.jsonl.tmp` and is removed when the store opens. The sender reads the file in bounded
// chunks from an open handle, so a newer snapshot pruning it meanwhile does not cut it short.
import * as fs from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { fatal } from "./errors.js";
import { fileMode, writeAll, type FileIo } from "./io.js";
import { snapshotReceiveChunkBytesMax } from "./limits.js";
import { snapshotName, SnapshotVerifier } from "./snapshot-format.js";

/** A verified, fsynced snapshot file waiting in the snapshot dir to be adopted or discarded. */
export interface ReceivedSnapshot {
  /** The temp file holding it (absolute path). */
  readonly tmpFile: string;
  /** The name it takes once adopted (`snap-<epoch>-<index>.jsonl`). */
  readonly name: string;
  readonly index: number;
  readonly epoch: number;
  readonly crc: number;
  readonly bytes: number;
  /** The snapshot's header (what the state machine keeps besides its records). */
  readonly header: unknown;
}

/** The position a transfer announced; the file's own header must say the same. */
export interface ExpectedSnapshot {
  readonly index: number;
  readonly epoch: number;
}

export class SnapshotReceiver {
  private readonly verifier = new SnapshotVerifier();
  private problem: string | undefined;
  private done = false;
  private received = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly tmpFile: string,
    private readonly expected: ExpectedSnapshot,
    private readonly io: FileIo,
  ) {}

  /** A new temp file `recv-<seq>-snap-<epoch>-<index>.jsonl.tmp` in `dir`. */
  static async open(dir: string, io: FileIo, expected: ExpectedSnapshot, seq: number):
    Promise<SnapshotReceiver> {
    const name = `recv-${seq}-${snapshotName(expected.epoch, expected.index)}.tmp`;
    const tmpFile = path.join(dir, name);
    const fh = await fs.open(tmpFile, "wx", fileMode);
    return new SnapshotReceiver(fh, tmpFile, expected, io);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.received;
  }

  /**
   * Appends the next bytes of the file. Returns why the transfer is refused (then the temp
   * file is already gone and further calls return the same), or undefined.
   */
  async write(chunk: Uint8Array): Promise<string | undefined> {
    if (this.problem !== undefined) return this.problem;
    if (this.done) throw new Error("write after the receiver finished");
    if (chunk.length > snapshotReceiveChunkBytesMax) {
      const limit = snapshotReceiveChunkBytesMax;
      return this.refuse(`a chunk of ${chunk.length} bytes exceeds ${limit}`);
    }
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const problem = this.verifier.push(bytes);
    if (problem !== undefined) return this.refuse(problem);
    try {
      await writeAll(this.io, this.fh, bytes);
    } catch (error) {
      await this.abort();
      throw fatal(`writing received snapshot ${this.tmpFile}`, error);
    }
    this.received += bytes.length;
    return undefined;
  }

  /**
   * The file is complete: verified (trailer count and CRC, header at the expected position)
   * and fsynced, or the reason it is not (its temp file then removed).
   */
  async finish(): Promise<ReceivedSnapshot | string> {
    if (this.problem !== undefined) return this.problem;
    const verified = this.verifier.finish();
    if (typeof verified === "string") return this.refuse(verified);
    const { index, epoch } = this.expected;
    if (verified.index !== index || verified.epoch !== epoch) {
      return this.refuse(`the file is at (${verified.index}, ${verified.epoch}), `
        + `the transfer announced (${index}, ${epoch})`);
    }
    this.done = true;
    try {
      await this.io.sync(this.fh);
      await this.fh.close();
    } catch (error) {
      await this.abort();
      throw fatal(`syncing received snapshot ${this.tmpFile}`, error);
    }
    return { tmpFile: this.tmpFile, name: snapshotName(epoch, index), index, epoch,
      crc: verified.crc, bytes: this.received, header: verified.header };
  }

  /** Drops the transfer: closes and removes the temp file (idempotent). */
  async abort(): Promise<void> {
    this.problem ??= "aborted";
    this.done = true;
    await this.fh.close().catch(() => undefined);
    await fs.rm(this.tmpFile, { force: true });
  }

  private async refuse(problem: string): Promise<string> {
    await this.abort();
    this.problem = problem;
    return problem;
  }
}

/** Removes a received snapshot that will not be adopted (the core did not install it). */
export async function discardReceived(received: ReceivedSnapshot): Promise<void> {
  await fs.rm(received.tmpFile, { force: true });
}

/** The current snapshot file, open for sending to a lagging peer. */
export interface SnapshotSource {
  readonly name: string;
  readonly index: number;
  readonly epoch: number;
  /** The file's size when it was opened (a snapshot file never changes once renamed). */
  readonly bytes: number;
  /** The file in order, in chunks of at most `chunkBytes`; closes the file when done. */
  chunks(chunkBytes: number): AsyncGenerator<Buffer>;
  /** Closes the file early (a transfer given up); idempotent. */
  close(): Promise<void>;
}

/** Opens `dir/name` for sending; undefined when it is already gone (a newer one replaced it). */
export async function openSource(dir: string, name: string, position: ExpectedSnapshot):
  Promise<SnapshotSource | undefined> {
  let fh: FileHandle;
  try {
    fh = await fs.open(path.join(dir, name), "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const bytes = (await fh.stat()).size;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  async function* chunks(chunkBytes: number): AsyncGenerator<Buffer> {
    try {
      // Bounded: every turn reads at least one byte, or ends.
      for (let offset = 0; offset < bytes && !closed;) {
        const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, bytes - offset));
        const { bytesRead } = await fh.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) throw new Error(`${name} ended at byte ${offset} of ${bytes}`);
        offset += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await close();
    }
  }
  return { name, index: position.index, epoch: position.epoch, bytes, chunks, close };
}
