// Replays one WAL segment held in memory, record by record, checking the CRC chain,
// `index = prev + 1`, non-decreasing epochs and every batch marker (§8.2). Entries of a
// batch count only once its marker verifies; the scan stops at the first damaged line and
// says where it is and where the last intact batch ended. It judges nothing: whether the
// damage is a torn tail or corruption is wal-recovery.ts's decision.
import { crc32 } from "./crc.js";
import type { LogEntry } from "./log-entry.js";
import {
  asMarker,
  asSeed,
  lineCrcOk,
  parseObject,
  splitLine,
  type RawLine,
  type SeedRecord,
} from "./wal-format.js";

/** The log as replayed so far, across segments. */
export interface ReplayState<E extends LogEntry> {
  /** Entries `(baseIndex, lastIndex]`, in order; after a damaged scan, maybe a few more. */
  entries: E[];
  baseIndex: number;
  baseEpoch: number;
  /** The log's tail as of the last intact batch marker. */
  lastIndex: number;
  lastEpoch: number;
  /** The CRC of the last line of the last intact batch (the chain continues from it). */
  chain: number;
  /** Seq of the last segment replayed; -1 before the first. */
  seq: number;
  /**
   * Entries up to this index are covered by a snapshot: their CRC and position are checked
   * as always, but their JSON is not parsed; they are kept as `{index, epoch}` only (recovery
   * needs just their epochs). -1: parse every entry.
   */
  parseAfter: number;
}

export function emptyReplayState<E extends LogEntry>(): ReplayState<E> {
  return { entries: [], baseIndex: 0, baseEpoch: 0, lastIndex: 0, lastEpoch: 0, chain: 0, seq: -1, parseAfter: -1 };
}

export type ScanResult =
  | { readonly kind: "clean"; readonly seed: SeedRecord; readonly maxIndex: number }
  | {
      readonly kind: "damaged";
      readonly seed: SeedRecord | undefined;
      readonly reason: string;
      /** Offset of the first damaged line (or of an unmarked batch at the end). */
      readonly damageAt: number;
      /** End of the last intact batch marker (or of the seed): where a torn tail is cut. */
      readonly cut: number;
      /** Tail after the intact records of the damaged batch (S4 trusts up to the damage). */
      readonly tentative: { readonly index: number; readonly epoch: number };
      readonly maxIndex: number;
    };

/** `{"index":I,"epoch":E,` — how every entry line starts (the log writes position first). */
const entryPrefix = /^\{"index":(\d{1,15}),"epoch":(\d{1,15}),/;

/** The position of an entry a snapshot covers, read from its prefix, or undefined. */
function coveredEntry(buf: Buffer, line: RawLine, parseAfter: number): Record<string, unknown> | undefined {
  if (parseAfter < 0) return undefined;
  const m = entryPrefix.exec(buf.toString("latin1", line.jsonStart, Math.min(line.end, line.jsonStart + 48)));
  if (m === null || Number(m[1]) > parseAfter) return undefined;
  return { index: Number(m[1]), epoch: Number(m[2]) };
}

export function scanSegment<E extends LogEntry>(buf: Buffer, st: ReplayState<E>): ScanResult {
  return new SegmentScan(buf, st).run();
}

class SegmentScan<E extends LogEntry> {
  private pos = 0;
  private batchStart = 0;
  private chain = 0;
  private seed: SeedRecord | undefined;
  private tIndex: number;
  private tEpoch: number;
  private pendingTruncate: number | undefined;
  private maxIndex: number;

  constructor(private readonly buf: Buffer, private readonly st: ReplayState<E>) {
    this.tIndex = st.lastIndex;
    this.tEpoch = st.lastEpoch;
    this.maxIndex = st.lastIndex;
  }

  run(): ScanResult {
    const seedProblem = this.readSeed();
    if (seedProblem !== undefined) return this.damaged(seedProblem);
    // Bounded: every turn consumes one line or returns.
    while (this.pos < this.buf.length) {
      const problem = this.readRecord();
      if (problem !== undefined) return this.damaged(problem);
    }
    if (this.batchStart < this.buf.length) return this.damaged("batch without a marker");
    return { kind: "clean", seed: this.seed as SeedRecord, maxIndex: this.maxIndex };
  }

  private damaged(reason: string): ScanResult {
    const damageAt = this.pos < this.buf.length ? this.pos : this.batchStart;
    const pendingTruncate = this.pendingTruncate !== undefined;
    return {
      kind: "damaged",
      seed: this.seed,
      reason,
      damageAt,
      cut: this.batchStart,
      tentative: pendingTruncate
        ? { index: this.st.lastIndex, epoch: this.st.lastEpoch }
        : { index: this.tIndex, epoch: this.tEpoch },
      maxIndex: this.maxIndex,
    };
  }

  /** The seed opens the segment and either continues the previous one or resets the log. */
  private readSeed(): string | undefined {
    const line = splitLine(this.buf, 0);
    if (typeof line === "string") return `seed: ${line}`;
    const obj = parseObject(this.buf, line);
    const seed = obj === undefined ? undefined : asSeed(obj);
    if (seed === undefined) return "first line is not a seed record";
    if (!lineCrcOk(this.buf, line, seed.crc)) return "seed crc mismatch";
    const st = this.st;
    if (seed.reset || st.seq < 0) {
      st.entries.length = 0;
      st.baseIndex = st.lastIndex = seed.index;
      st.baseEpoch = st.lastEpoch = seed.epoch;
    } else if (seed.seq !== st.seq + 1 || seed.crc !== st.chain) {
      return `segment does not continue segment ${st.seq} (missing or reordered segment)`;
    } else if (seed.index !== st.lastIndex || seed.epoch !== st.lastEpoch) {
      return `seed position (${seed.index}, ${seed.epoch}) differs from the log's tail`;
    }
    st.seq = seed.seq;
    this.seed = seed;
    this.tIndex = this.maxIndex = st.lastIndex;
    this.tEpoch = st.lastEpoch;
    this.chain = st.chain = line.storedCrc;
    this.pos = this.batchStart = line.end + 1;
    return undefined;
  }

  private readRecord(): string | undefined {
    const line = splitLine(this.buf, this.pos);
    if (typeof line === "string") return line;
    if (!lineCrcOk(this.buf, line, this.chain)) return "crc mismatch";
    const obj = coveredEntry(this.buf, line, this.st.parseAfter) ?? parseObject(this.buf, line);
    if (obj === undefined) return "record is not a JSON object";
    const problem =
      typeof obj["index"] === "number"
        ? this.onEntry(obj)
        : "marker" in obj
        ? this.onMarker(obj, line)
        : "truncate" in obj
        ? this.onTruncate(obj, line)
        : "unknown record kind";
    if (problem !== undefined) return problem;
    this.chain = line.storedCrc;
    this.pos = line.end + 1;
    return undefined;
  }

  private onEntry(obj: Record<string, unknown>): string | undefined {
    const { index, epoch } = obj;
    if (this.pendingTruncate !== undefined) return "entry in a truncate batch";
    if (index !== this.tIndex + 1) return `index ${String(index)} after ${this.tIndex}`;
    if (!Number.isSafeInteger(epoch) || (epoch as number) < this.tEpoch) {
      return `epoch ${String(epoch)} after ${this.tEpoch}`;
    }
    this.st.entries.push(obj as unknown as E);
    this.tIndex = index;
    this.tEpoch = epoch as number;
    return undefined;
  }

  private onTruncate(obj: Record<string, unknown>, line: RawLine): string | undefined {
    const after = obj["truncate"];
    if (line.start !== this.batchStart) return "truncate record not alone in its batch";
    if (!Number.isSafeInteger(after)) return "malformed truncate record";
    const st = this.st;
    if ((after as number) < st.baseIndex || (after as number) > this.tIndex) {
      return `truncate after ${String(after)} outside (${st.baseIndex}, ${this.tIndex}]`;
    }
    this.pendingTruncate = after as number;
    this.tIndex = after as number;
    this.tEpoch = this.epochAt(after as number);
    return undefined;
  }

  private onMarker(obj: Record<string, unknown>, line: RawLine): string | undefined {
    const marker = asMarker(obj);
    if (marker === undefined) return "malformed marker";
    const bytes = line.start - this.batchStart;
    if (bytes === 0 || marker.bytes !== bytes) return "marker length does not match its batch";
    if (marker.last !== this.tIndex) return `marker last ${marker.last} != ${this.tIndex}`;
    if (crc32(this.buf.subarray(this.batchStart, line.start)) !== marker.crc) {
      return "marker crc does not match its batch";
    }
    const st = this.st;
    if (this.pendingTruncate !== undefined) {
      st.entries.length = this.pendingTruncate - st.baseIndex;
      this.pendingTruncate = undefined;
    }
    st.lastIndex = this.tIndex;
    st.lastEpoch = this.tEpoch;
    st.chain = line.storedCrc;
    this.maxIndex = Math.max(this.maxIndex, this.tIndex);
    this.batchStart = line.end + 1;
    return undefined;
  }

  private epochAt(index: number): number {
    const st = this.st;
    if (index === st.baseIndex) return st.baseEpoch;
    return (st.entries[index - st.baseIndex - 1] as E).epoch;
  }
}
