// The snapshot file (§8.5): JSON lines, streamed. Line 1 is the header
// `{"kind":"snapshot","version":1,"index","epoch","logStart","header"}`, then one line per
// record, then the trailer `{"kind":"snapshot-end","count","crc"}` where `crc` is the CRC-32
// of every byte before the trailer line and `count` the number of records. A reader that
// reaches a verifying trailer has read exactly what the writer wrote.
import * as fs from "node:fs";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { crc32 } from "./crc.js";
import { jsonPieces } from "./json-pieces.js";
import { snapshotLineBytesMax } from "./limits.js";

export const snapshotFormatVersion = 1;

/** Reading a snapshot yields to the event loop after about this much work. */
const readSliceMs = 15;

const namePattern = /^snap-(\d{16})-(\d{16})\.jsonl$/;

export function snapshotName(epoch: number, index: number): string {
  return `snap-${String(epoch).padStart(16, "0")}-${String(index).padStart(16, "0")}.jsonl`;
}

export function parseSnapshotName(name: string): { epoch: number; index: number } | undefined {
  const m = namePattern.exec(name);
  return m === null ? undefined : { epoch: Number(m[1]), index: Number(m[2]) };
}

export interface SnapshotHeader {
  readonly index: number;
  readonly epoch: number;
  readonly logStart: number | null;
  readonly header: unknown;
}

function headerRecord(h: SnapshotHeader): object {
  return {
    kind: "snapshot",
    version: snapshotFormatVersion,
    index: h.index,
    epoch: h.epoch,
    logStart: h.logStart,
    header: h.header,
  };
}

/** The header line in pieces (json-pieces.ts), for a writer that yields between them. */
export function* headerLinePieces(h: SnapshotHeader): Generator<string> {
  yield* jsonPieces(headerRecord(h));
  yield "\n";
}

export function trailerLine(count: number, crc: number): string {
  return `${JSON.stringify({ kind: "snapshot-end", count, crc })}\n`;
}

export interface SnapshotContent extends SnapshotHeader {
  readonly records: unknown[];
  readonly crc: number;
}

/** Streams and verifies a snapshot file; a string says why it is not intact. */
export function readSnapshotFile(file: string): Promise<SnapshotContent | string> {
  return streamSnapshotFile(file);
}

/**
 * Streams a snapshot file, handing each record to `onRecord` as it is read (then `records`
 * stays empty) instead of collecting them. The records are only known intact once this
 * resolves without a problem string: a caller that consumes them early must discard what it
 * built when it does not. Reading yields to the event loop between 1 MiB chunks.
 */
export async function streamSnapshotFile(file: string, onRecord?: (record: unknown) => void):
  Promise<SnapshotContent | string> {
  const reader = new LineReader(onRecord);
  // A record handed out may cost its consumer a few ms: read in smaller chunks then.
  const highWaterMark = onRecord ? 256 * 1024 : 1 << 20;
  let sliceStart = performance.now();
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark })) {
      const problem = reader.push(chunk as Buffer);
      if (problem !== undefined) return problem;
      // Buffered chunks arrive as microtasks, which never let timers or I/O run (R9).
      if (performance.now() - sliceStart >= readSliceMs) {
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return reader.finish();
}

/** Consumes lines one behind, so the last line is known to be the trailer. */
class LineReader {
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private pending: Buffer | undefined;
  private crc = 0;
  private header: SnapshotHeader | undefined;
  private readonly records: unknown[] = [];
  private count = 0;

  /** `parseRecords` false: records are only counted (the CRC proves their bytes). */
  constructor(
    private readonly onRecord?: (record: unknown) => void,
    private readonly parseRecords = true,
  ) {}

  push(chunk: Buffer): string | undefined {
    let pos = 0;
    // Bounded: every turn consumes one newline of the chunk.
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) break;
      const tail = chunk.subarray(pos, nl + 1);
      const line = this.pieces.length === 0 ? tail : Buffer.concat([...this.pieces, tail]);
      this.pieces = [];
      this.pieceBytes = 0;
      const problem = this.onLine(line);
      if (problem !== undefined) return problem;
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      this.pieces.push(chunk.subarray(pos));
      this.pieceBytes += chunk.length - pos;
      if (this.pieceBytes > snapshotLineBytesMax) return "line longer than the limit";
    }
    return undefined;
  }

  finish(): SnapshotContent | string {
    if (this.pieceBytes > 0) return "file does not end with a newline (torn)";
    if (this.pending === undefined || this.header === undefined) return "no trailer";
    const trailer = parseJson(this.pending) as { kind?: unknown; count?: unknown; crc?: unknown };
    if (trailer?.kind !== "snapshot-end") return "last line is not a trailer";
    if (trailer.count !== this.count) return "trailer count mismatch";
    if (trailer.crc !== this.crc) return "trailer crc mismatch";
    return { ...this.header, records: this.records, crc: this.crc };
  }

  private onLine(line: Buffer): string | undefined {
    const previous = this.pending;
    this.pending = line;
    if (previous === undefined) return undefined;
    this.crc = crc32(previous, this.crc);
    if (this.header === undefined) {
      const header = asHeader(parseJson(previous));
      if (header === undefined) return "first line is not a snapshot header";
      this.header = header;
      return undefined;
    }
    if (!this.parseRecords) {
      this.count++;
      return undefined;
    }
    const record = parseJson(previous);
    if (record === undefined) return `record ${this.count} is not JSON`;
    this.count++;
    if (this.onRecord) this.onRecord(record);
    else this.records.push(record);
    return undefined;
  }
}

/**
 * Verifies a snapshot file as its bytes arrive (a transfer from the primary, R19): the
 * reader's own checks — a header line, whole lines, the trailer's count and CRC — without
 * parsing or keeping the records (the CRC proves they are the bytes the writer wrote). Memory
 * stays bounded by the longest line. After the first problem every call returns it.
 */
export class SnapshotVerifier {
  private readonly reader = new LineReader(undefined, false);
  private problem: string | undefined;

  push(chunk: Buffer): string | undefined {
    this.problem ??= this.reader.push(chunk);
    return this.problem;
  }

  /** The verified header and CRC, or why the bytes are not an intact snapshot file. */
  finish(): (SnapshotHeader & { readonly crc: number }) | string {
    if (this.problem !== undefined) return this.problem;
    const content = this.reader.finish();
    if (typeof content === "string") return content;
    const { records: _records, ...verified } = content;
    return verified;
  }
}

/** Only the header line of a snapshot file (not verified: the trailer is not read). */
export async function readSnapshotHeader(file: string): Promise<SnapshotHeader | string> {
  const pieces: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 16 })) {
      const buffer = chunk as Buffer;
      const nl = buffer.indexOf(0x0a);
      if (nl >= 0) {
        pieces.push(buffer.subarray(0, nl + 1));
        return asHeader(parseJson(Buffer.concat(pieces))) ?? "first line is not a snapshot header";
      }
      pieces.push(buffer);
      bytes += buffer.length;
      if (bytes > snapshotLineBytesMax) return "line longer than the limit";
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return "no header line";
}

function parseJson(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString("utf8", 0, line.length - 1)) as unknown;
  } catch {
    return undefined;
  }
}

function asHeader(value: unknown): SnapshotHeader | undefined {
  const h = value as Record<string, unknown> | undefined;
  if (typeof h !== "object" || h === null || h["kind"] !== "snapshot") return undefined;
  if (h["version"] !== snapshotFormatVersion) return undefined;
  const { index, epoch, logStart, header } = h;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(epoch)) return undefined;
  if (logStart !== null && !Number.isSafeInteger(logStart)) return undefined;
  return {
    index: index as number,
    epoch: epoch as number,
    logStart: logStart as number | null,
    header,
  };
}
