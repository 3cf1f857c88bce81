// Snapshots under `<dataDir>/snap/` (§8.5). `write` streams `snap-<epoch>-<index>.jsonl.tmp`
// chunk by chunk, yielding to the event loop between chunks (R9), fsyncs it, renames it,
// fsyncs the directory, then durably replaces MANIFEST.json (lowdb + the durable adapter)
// and only then deletes older snapshots, keeping two. `loadLatest` verifies the current
// snapshot and falls back to the previous one when it is damaged (renamed `.broken`).
// A snapshot from the primary (R19) arrives as a file (`receive`, snapshot-receive.ts) and
// `adopt` makes it current the same way, minus the write; `source` opens the current file
// for sending. MANIFEST's `logStart` is authoritative for the current snapshot: an adopted
// file keeps the header its writer gave it.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { Low } from "lowdb";
import { requireCrc32 } from "./crc.js";
import { DurableJsonFile, removeStaleTmp } from "./durable-file.js";
import { fatal, StorageFaultedError } from "./errors.js";
import { ensureDir, fileMode, fsyncDir, isErrno, nodeFileIo, writeAll, type FileIo } from "./io.js";
import { snapshotsKeptCount, snapshotWriteBytesMax, snapshotWriteDuty, snapshotWriteSliceMs } from "./limits.js";
import { Pacer } from "./pacer.js";
import { BufferedOutput } from "./buffered-output.js";
import { jsonPieces } from "./json-pieces.js";
import {
  discardReceived,
  openSource,
  SnapshotReceiver,
  type ExpectedSnapshot,
  type ReceivedSnapshot,
  type SnapshotSource,
} from "./snapshot-receive.js";
import {
  headerLinePieces,
  parseSnapshotName,
  RawRecord,
  readSnapshotFile,
  readSnapshotHeader,
  snapshotName,
  streamSnapshotFile,
  trailerLine,
  type SnapshotContent,
  type SnapshotHeader,
  type StreamOptions,
} from "./snapshot-format.js";

/** Rows of a snapshot record stringified as one piece: small strings, out of the large-object space. */
const recordElementsPerPiece = 64;

export interface Manifest {
  readonly current: string;
  readonly index: number;
  readonly epoch: number;
  readonly crc: number;
  /** `index + 1` for a snapshot installed from the primary (R19), else null. */
  readonly logStart: number | null;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly epoch: number;
  /** Anything JSON the state machine needs besides its records (view, dedup table, …). */
  readonly header: unknown;
  /** A snapshot installed from the primary: the log restarts after it (R19). */
  readonly installed?: boolean;
}

export interface LoadedSnapshot extends SnapshotContent {
  readonly file: string;
  /** Damaged snapshots renamed `.broken` on the way to this one. */
  readonly broken: readonly string[];
}

/**
 * The current snapshot by its header, its records still on disk: `load` streams them to a
 * callback and verifies the file (trailer, manifest CRC) as it ends. A damaged file is set
 * aside (`.broken`) and `load` rejects with StorageFaultedError: the caller must drop what it
 * built and restart, and the next `loadLatest`/`openLatest` falls back to an older snapshot.
 */
export interface OpenedSnapshot extends SnapshotHeader {
  readonly file: string;
  readonly broken: readonly string[];
  load(onRecord: (record: unknown) => void, options?: StreamOptions): Promise<void>;
}

export type SnapshotChunks = AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>;

export class SnapshotStore {
  private writing = false;
  /** Numbers the temp files of transfers being received, so two never share a name. */
  private receiveSeq = 0;
  private readonly manifestDb: Low<Manifest | null>;

  /** The pacing of the snapshot being written, if one is (`hurry`). */
  private pacer: Pacer | undefined;

  private constructor(readonly dir: string, private readonly io: FileIo) {
    const adapter = new DurableJsonFile<Manifest | null>(path.join(dir, "MANIFEST.json"), io);
    this.manifestDb = new Low<Manifest | null>(adapter, null);
  }

  static async open(dataDir: string, io: FileIo = nodeFileIo): Promise<SnapshotStore> {
    requireCrc32();
    const dir = path.join(dataDir, "snap");
    await ensureDir(io, dir);
    for (const name of await fs.readdir(dir)) {
      // Left by a crash mid-write or mid-transfer (`recv-…`): never part of a snapshot.
      if (name.endsWith(".jsonl.tmp")) await fs.rm(path.join(dir, name), { force: true });
    }
    await removeStaleTmp(path.join(dir, "MANIFEST.json"));
    return new SnapshotStore(dir, io);
  }

  /** The durable manifest, or undefined before the first snapshot. */
  async manifest(): Promise<Manifest | undefined> {
    try {
      return (await this.manifestDb.adapter.read()) ?? undefined;
    } catch (error) {
      // It is only ever replaced atomically and durably: unreadable means a damaged disk.
      const detail = error instanceof Error ? error.message : String(error);
      throw new StorageFaultedError(`${this.dir}/MANIFEST.json is unreadable: ${detail}`);
    }
  }

  /**
   * Writes a snapshot and makes it current (§8.5 steps 2–4, 6). Resolves once durable. `duty`:
   * the share of a core the write may take (pacer.ts); 1 for a writer with nothing to share
   * the machine with.
   */
  async write(meta: SnapshotMeta, chunks: SnapshotChunks, duty = snapshotWriteDuty): Promise<Manifest> {
    if (this.writing) throw new Error("a snapshot write is already in progress");
    if (!isPosition(meta.index) || !isPosition(meta.epoch)) {
      throw new Error(`snapshot position (${meta.index}, ${meta.epoch}) is not valid`);
    }
    this.writing = true;
    try {
      const name = snapshotName(meta.epoch, meta.index);
      const previous = await this.manifest();
      if (previous?.current === name) throw new Error(`${name} is already the current snapshot`);
      const logStart = meta.installed === true ? meta.index + 1 : null;
      const crc = await this.writeFile(name, { ...meta, logStart }, chunks, duty);
      const { index, epoch } = meta;
      return await this.makeCurrent({ current: name, index, epoch, crc, logStart });
    } finally {
      this.writing = false;
    }
  }

  /** The snapshot being written, if any, goes on at full speed (its writer is waited for). */
  hurry(): void {
    this.pacer?.unpace();
  }

  /**
   * A temp file for a snapshot arriving from the primary (R19); the caller writes its bytes,
   * `finish`es it and then `adopt`s or `discard`s it.
   */
  receive(expected: ExpectedSnapshot): Promise<SnapshotReceiver> {
    if (!isPosition(expected.index) || !isPosition(expected.epoch)) {
      throw new Error(`snapshot position (${expected.index}, ${expected.epoch}) is not valid`);
    }
    return SnapshotReceiver.open(this.dir, this.io, expected, ++this.receiveSeq);
  }

  /**
   * Makes a received snapshot the current one, installed (§8.5 steps 3–4, 6): rename, directory
   * fsync, MANIFEST with `logStart = index + 1`. Resolves once durable.
   */
  async adopt(received: ReceivedSnapshot): Promise<Manifest> {
    if (this.writing) throw new Error("a snapshot write is already in progress");
    this.writing = true;
    try {
      const previous = await this.manifest();
      if (previous?.current === received.name) {
        throw new Error(`${received.name} is already the current snapshot`);
      }
      try {
        await fs.rename(received.tmpFile, path.join(this.dir, received.name));
        await fsyncDir(this.io, this.dir);
      } catch (error) {
        throw fatal(`adopting snapshot ${received.name}`, error);
      }
      const { name: current, index, epoch, crc } = received;
      return await this.makeCurrent({ current, index, epoch, crc, logStart: index + 1 });
    } finally {
      this.writing = false;
    }
  }

  /** Removes a received snapshot that will not be adopted. */
  discard(received: ReceivedSnapshot): Promise<void> {
    return discardReceived(received);
  }

  /** The current snapshot file opened for sending, if it is the one at `index`. */
  async source(index: number): Promise<SnapshotSource | undefined> {
    const manifest = await this.manifest();
    if (manifest === undefined || manifest.index !== index) return undefined;
    return openSource(this.dir, manifest.current, manifest);
  }

  /** §8.5 steps 4 and 6: the durable MANIFEST names `manifest`, then older files go. */
  private async makeCurrent(manifest: Manifest): Promise<Manifest> {
    this.manifestDb.data = manifest;
    await this.manifestDb.write();
    await this.prune(manifest.current);
    return manifest;
  }

  /**
   * The current snapshot, verified (trailer count and CRC, and the manifest's CRC); when it is
   * damaged it is renamed `.broken` and older ones are tried, and the manifest moves to the
   * one that loads. Undefined when no snapshot was ever made; StorageFaultedError when the
   * manifest names a snapshot and none loads (repair from peers).
   */
  async loadLatest(): Promise<LoadedSnapshot | undefined> {
    const manifest = await this.manifest();
    if (manifest === undefined) return undefined;
    const broken: string[] = [];
    for (const name of await this.candidates(manifest)) {
      const content = await readSnapshotFile(path.join(this.dir, name));
      const ok =
        typeof content !== "string" && (name !== manifest.current || content.crc === manifest.crc);
      if (ok) {
        if (name !== manifest.current) await this.point(name, content);
        const logStart = name === manifest.current ? manifest.logStart : content.logStart;
        return { ...content, logStart, file: name, broken };
      }
      if (await this.markBroken(name)) broken.push(`${name}.broken`);
    }
    throw new StorageFaultedError(
      `no intact snapshot in ${this.dir} (manifest: ${manifest.current})`,
    );
  }

  /**
   * Like `loadLatest`, but reads only the current snapshot's header now (§8.4 step 1 needs
   * just its position). When the header is unreadable it falls back to `loadLatest` (which
   * sets damaged files aside) and `load` replays the records read then.
   */
  async openLatest(): Promise<OpenedSnapshot | undefined> {
    const manifest = await this.manifest();
    if (manifest === undefined) return undefined;
    const file = path.join(this.dir, manifest.current);
    const header = await readSnapshotHeader(file);
    const positioned = typeof header !== "string" && header.index === manifest.index
      && header.epoch === manifest.epoch;
    if (!positioned) {
      const loaded = await this.loadLatest();
      if (loaded === undefined) return undefined;
      const { records, crc: _crc, ...rest } = loaded;
      return { ...rest, load: async (onRecord) => records.forEach((r) => onRecord(r)) };
    }
    const load = async (onRecord: (record: unknown) => void, options?: StreamOptions):
      Promise<void> => {
      const content = await streamSnapshotFile(file, onRecord, options);
      const problem = typeof content === "string" ? content
        : content.crc !== manifest.crc ? "crc differs from the manifest" : undefined;
      if (problem === undefined) return;
      await this.markBroken(manifest.current);
      throw new StorageFaultedError(`snapshot ${file} is damaged (${problem}); set aside as .broken, `
        + "a restart falls back to the previous snapshot");
    };
    return { ...header, logStart: manifest.logStart, file: manifest.current, broken: [], load };
  }

  /** The current one first, then older snapshots, newest first. */
  private async candidates(manifest: Manifest): Promise<string[]> {
    const older = (await this.listSnapshots()).filter(
      (s) => s.name !== manifest.current && s.index <= manifest.index,
    );
    return [manifest.current, ...older.map((s) => s.name)];
  }

  private async point(name: string, content: SnapshotContent): Promise<void> {
    const { index, epoch, crc, logStart } = content;
    this.manifestDb.data = { current: name, index, epoch, crc, logStart };
    await this.manifestDb.write();
  }

  private async markBroken(name: string): Promise<boolean> {
    const file = path.join(this.dir, name);
    try {
      await fs.rename(file, `${file}.broken`);
    } catch (error) {
      if (isErrno(error, "ENOENT")) return false;
      throw error;
    }
    await fsyncDir(this.io, this.dir);
    return true;
  }

  /** Streams the snapshot to a temp file, then fsync, rename, directory fsync. */
  private async writeFile(
    name: string,
    header: SnapshotMeta & { logStart: number | null },
    chunks: SnapshotChunks,
    duty: number,
  ): Promise<number> {
    const file = path.join(this.dir, name);
    const tmp = `${file}.tmp`;
    const pacer = new Pacer(snapshotWriteSliceMs, duty);
    const fh = await fs.open(tmp, "w", fileMode);
    const out = new BufferedOutput(this.io, fh, snapshotWriteBytesMax);
    let count = 0;
    this.pacer = pacer;
    try {
      // R9: the header holds whole tables; yield about every 64 KiB of it.
      let sinceYield = 0;
      for (const piece of headerLinePieces(header)) {
        await out.add(piece);
        sinceYield += piece.length;
        if (sinceYield >= 64 * 1024) {
          sinceYield = 0;
          await yieldToLoop();
        }
      }
      for await (const chunk of chunks) {
        for (const record of chunk) {
          // A record of an earlier snapshot, unchanged, goes as its bytes (checked against their
          // CRC), and a record given as bytes (JSON the caller serialised once) as they are; any
          // other is serialised (jsonPieces refuses what is not JSON).
          if (record instanceof RawRecord) await out.addBytes(record.bytes());
          else if (record instanceof RecordBytes) {
            for (const piece of record.pieces) await out.addBytes(bufferOf(piece));
          } else await out.addPieces(jsonPieces(record, recordElementsPerPiece));
          await out.add("\n");
          count++;
        }
        await pacer.step(); // R9: a big snapshot must not block the loop, nor hog the machine
      }
      await out.flush();
      await writeAll(this.io, fh, Buffer.from(trailerLine(count, out.crc), "utf8"));
      await this.io.sync(fh);
      await fh.close();
      await fs.rename(tmp, file);
      await fsyncDir(this.io, this.dir);
    } catch (error) {
      await fh.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw isIoError(error) ? fatal(`writing snapshot ${file}`, error) : error;
    } finally {
      this.pacer = undefined;
    }
    return out.crc;
  }

  /** Keeps the current snapshot and the newest other one (§8.5 step 6). */
  private async prune(current: string): Promise<void> {
    const others = (await this.listSnapshots()).filter((s) => s.name !== current);
    const doomed = others.slice(snapshotsKeptCount - 1);
    for (const s of doomed) await fs.rm(path.join(this.dir, s.name), { force: true });
    if (doomed.length > 0) await fsyncDir(this.io, this.dir);
  }

  /** Snapshot files, newest (highest index, then epoch) first. */
  private async listSnapshots(): Promise<{ name: string; index: number; epoch: number }[]> {
    const found: { name: string; index: number; epoch: number }[] = [];
    for (const name of await fs.readdir(this.dir)) {
      const parsed = parseSnapshotName(name);
      if (parsed !== undefined) found.push({ name, ...parsed });
    }
    return found.sort((a, b) => b.index - a.index || b.epoch - a.epoch);
  }
}

function isIoError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === "string";
}

function isPosition(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * A snapshot record its caller already serialised: the UTF-8 bytes of one JSON value, in
 * pieces written one after the other (a sealed message page's blocks), without a newline.
 */
export class RecordBytes {
  constructor(readonly pieces: readonly Uint8Array[]) {}
}

/** The same bytes as a Buffer, not copied. */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
