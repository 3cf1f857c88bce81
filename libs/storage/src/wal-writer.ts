// The WAL's file side: the active segment (one writer, opened for append), rolling to a new
// segment, writing one group-commit batch (records + marker, one write loop, one fdatasync),
// resetting to a fresh segment, and deleting compacted segments. It keeps no queue and makes
// no decisions about entries: commit-log.ts does.
import * as fs from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { crc32 } from "./crc.js";
import { fileMode, fsyncDir, writeAll, type FileIo } from "./io.js";
import type { LogPosition } from "./log-entry.js";
import {
  encodeLine,
  markerJson,
  parseSegmentName,
  seedJson,
  segmentName,
  type SeedRecord,
} from "./wal-format.js";
import { listSegments, type SegmentInfo } from "./wal-recovery.js";

/** Counters the tests read: group commit must show fewer syncs than appends. */
export interface WalStats {
  batches: number;
  /** fdatasync/fsync calls on segment files and the WAL directory. */
  syncs: number;
  bytes: number;
}

export class WalWriter {
  private active: FileHandle | undefined;
  private activeBytes = 0;

  private constructor(
    private readonly walDir: string,
    private readonly io: FileIo,
    private readonly segmentBytesMax: number,
    private readonly segments: SegmentInfo[],
    private chain: number,
    readonly stats: WalStats,
  ) {}

  /** Opens the last segment for append, or creates the first one at `tail`. */
  static async open(
    walDir: string,
    io: FileIo,
    segmentBytesMax: number,
    segments: SegmentInfo[],
    chain: number,
    tail: LogPosition,
  ): Promise<WalWriter> {
    const stats: WalStats = { batches: 0, syncs: 0, bytes: 0 };
    const writer = new WalWriter(walDir, io, segmentBytesMax, segments, chain, stats);
    const last = segments[segments.length - 1];
    if (last === undefined) {
      await writer.createSegment({ seq: 1, crc: chain, ...tail, reset: false });
    } else {
      writer.active = await fs.open(last.path, "a", fileMode);
      writer.activeBytes = (await writer.active.stat()).size;
    }
    return writer;
  }

  /** A writer for a faulted log: nothing is open until `reset`. */
  static detached(walDir: string, io: FileIo, segmentBytesMax: number): WalWriter {
    const stats: WalStats = { batches: 0, syncs: 0, bytes: 0 };
    return new WalWriter(walDir, io, segmentBytesMax, [], 0, stats);
  }

  get firstSegment(): SegmentInfo | undefined {
    return this.segments[0];
  }
  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Writes `records` (JSON texts) and a marker naming `last` as one batch, then fdatasyncs.
   * `tail` is the durable tail before the batch: a segment rolled here starts after it.
   */
  async writeBatch(records: readonly string[], last: number, tail: LogPosition): Promise<void> {
    if (this.activeBytes >= this.segmentBytesMax) {
      await this.createSegment({ seq: this.nextSeq(), crc: this.chain, ...tail, reset: false });
    }
    let text = "";
    let chain = this.chain;
    for (const json of records) {
      const encoded = encodeLine(json, chain);
      text += encoded.line;
      chain = encoded.crc;
    }
    const body = Buffer.from(text, "utf8");
    const marker = encodeLine(markerJson({ last, bytes: body.length, crc: crc32(body) }), chain);
    const bytes = Buffer.concat([body, Buffer.from(marker.line, "utf8")]);
    const fh = this.requireActive();
    await writeAll(this.io, fh, bytes);
    await this.io.datasync(fh);
    this.chain = marker.crc;
    this.activeBytes += bytes.length;
    this.stats.batches++;
    this.stats.syncs++;
    this.stats.bytes += bytes.length;
    const info = this.segments[this.segments.length - 1] as SegmentInfo;
    info.maxIndex = Math.max(info.maxIndex, last);
  }

  /**
   * Starts a fresh log right after `base` in a new segment, durably, then removes every older
   * segment (renamed `.corrupt` when `keepOld`, for a faulted log's forensics).
   */
  async reset(base: LogPosition, keepOld: boolean): Promise<void> {
    const old = await listSegments(this.walDir);
    const seq = Math.max(this.nextSeq(), ...old.map((n) => (parseSegmentName(n)?.seq ?? 0) + 1));
    await this.createSegment({ seq, crc: this.chain, ...base, reset: true });
    for (const name of old) {
      const file = path.join(this.walDir, name);
      if (keepOld) await fs.rename(file, `${file}.corrupt`);
      else await fs.unlink(file);
    }
    this.segments.splice(0, this.segments.length - 1);
    await this.syncDir();
  }

  /**
   * Deletes the oldest segments while every entry in them is ≤ `throughIndex` (§8.5 step 5),
   * never the active one. Returns how many went.
   */
  async compact(throughIndex: number): Promise<number> {
    let deleted = 0;
    // Bounded by the number of segments; the active (last) one always stays.
    while (this.segments.length > 1) {
      const first = this.segments[0] as SegmentInfo;
      const next = this.segments[1] as SegmentInfo;
      if (first.maxIndex > throughIndex || next.seedIndex > throughIndex) break;
      await fs.unlink(first.path);
      this.segments.shift();
      deleted++;
    }
    if (deleted > 0) await this.syncDir();
    return deleted;
  }

  async close(): Promise<void> {
    const fh = this.active;
    this.active = undefined;
    await fh?.close();
  }

  private requireActive(): FileHandle {
    if (this.active === undefined) throw new Error("wal writer has no active segment");
    return this.active;
  }

  private nextSeq(): number {
    const last = this.segments[this.segments.length - 1];
    return last === undefined ? 1 : last.seq + 1;
  }

  /** New segment: seed line, fsync the file, fsync the directory; then it is the active one. */
  private async createSegment(seed: SeedRecord): Promise<void> {
    const name = segmentName(seed.seq, seed.index + 1);
    const file = path.join(this.walDir, name);
    const encoded = encodeLine(seedJson(seed), seed.crc);
    const bytes = Buffer.from(encoded.line, "utf8");
    const fh = await fs.open(file, "ax", fileMode);
    try {
      await writeAll(this.io, fh, bytes);
      await this.io.sync(fh);
      this.stats.syncs++;
      await this.syncDir();
    } catch (error) {
      await fh.close();
      throw error;
    }
    await this.active?.close();
    this.active = fh;
    this.activeBytes = bytes.length;
    this.chain = encoded.crc;
    this.segments.push({
      seq: seed.seq,
      name,
      path: file,
      seedIndex: seed.index,
      seedEpoch: seed.epoch,
      maxIndex: seed.index,
    });
  }

  private async syncDir(): Promise<void> {
    await fsyncDir(this.io, this.walDir);
    this.stats.syncs++;
  }
}
