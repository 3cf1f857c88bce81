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
import type { Pacer } from "./pacer.js";

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
 * A snapshot file kept open for the records handed out unparsed: their bytes stay on disk and
 * are read back when parsed. Kept open for the life of the process (one per restore), so a
 * later rename or prune of the file does not take the bytes away.
 */
/**
 * Closes a kept file's descriptor once nothing can read through it any more (the state that
 * held its records was replaced, e.g. by an installed snapshot): else every restore kept one
 * descriptor, and the disk space of its file once pruned, for the life of the process.
 */
const keptDescriptors = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed: nothing to free
  }
});

class KeptFile {
  private fd: number | undefined;

  constructor(private readonly file: string) {}

  /** Opens the file once, as the first record is handed out (it may be pruned later). */
  hold(): this {
    if (this.fd === undefined) {
      this.fd = fs.openSync(this.file, "r");
      keptDescriptors.register(this, this.fd);
    }
    return this;
  }

  read(position: number, length: number): Buffer {
    this.hold();
    const bytes = Buffer.allocUnsafe(length);
    // Bounded: each turn reads at least one byte or throws.
    for (let at = 0; at < length;) {
      const n = fs.readSync(this.fd!, bytes, at, length - at, position + at);
      if (n === 0) throw new Error(`snapshot ${this.file} ends before byte ${position + length}`);
      at += n;
    }
    return bytes;
  }
}

/**
 * A record handed over unparsed: what a reader asked for with `unparsedPrefix`. Its bytes
 * were CRC-checked with the whole file while streaming and are read back from the file (a
 * synchronous read of one record) each time it is parsed, checked against their own CRC.
 */
export class RawRecord {
  constructor(
    private readonly file: KeptFile,
    readonly position: number,
    /** Bytes of its JSON, without the newline. */
    readonly length: number,
    private readonly start: string,
    /** CRC-32 of its JSON bytes as streamed (the file may change on disk after the check). */
    private readonly crc: number,
  ) {}

  /** Up to the first `chars` characters (as many as the reader looked at: 64). */
  head(chars: number): string {
    return this.start.slice(0, chars);
  }

  /** Its JSON bytes read back; throws when they differ from those streamed (damage since). */
  bytes(): Buffer {
    const bytes = this.file.read(this.position, this.length);
    if (crc32(bytes) !== this.crc) {
      throw new Error(`snapshot record at byte ${this.position} no longer matches its CRC (damaged on disk)`);
    }
    return bytes;
  }

  /** Throws when the bytes read back differ from those streamed (damage since the restore). */
  parse(): unknown {
    return JSON.parse(this.bytes().toString("utf8")) as unknown;
  }

  /** Never serialised as an object (its fields are a file handle and offsets): copied as bytes. */
  toJSON(): never {
    throw new Error("a snapshot record read unparsed is copied as its bytes, not serialised");
  }
}

export interface StreamOptions {
  /**
   * Records whose JSON starts with these characters (ASCII, at most 64) reach `onRecord` as a
   * RawRecord, unparsed and not held in memory. They are covered by the file's CRC.
   */
  readonly unparsedPrefix?: string;
  /**
   * Paces the reading (pacer.ts): between records it yields and rests, so the restore takes
   * at most the pacer's share of a core. Without one it yields every `readSliceMs`.
   */
  readonly pacer?: Pick<Pacer, "step">;
}

/** Bytes read at a time, into one reused buffer (no allocation per read). */
const readBytes = 256 * 1024;

/**
 * Streams a snapshot file, handing each record to `onRecord` as it is read (then `records`
 * stays empty) instead of collecting them. The records are only known intact once this
 * resolves without a problem string: a caller that consumes them early must discard what it
 * built when it does not. Reading yields to the event loop every `readSliceMs`.
 */
export async function streamSnapshotFile(file: string, onRecord?: (record: unknown) => void,
  options: StreamOptions = {}): Promise<SnapshotContent | string> {
  const prefix = options.unparsedPrefix;
  // The records of one read are handed on one at a time, with a yield whenever a slice is
  // used up: one record can take tens of ms to restore (a million-seq conversation row, the
  // event lists built after the last one), and several in one go paused the node past θ (R8).
  const read: unknown[] = [];
  const reader = new LineReader(onRecord && ((record) => read.push(record)), prefix === undefined ? undefined
    : { prefix: Buffer.from(prefix, "latin1"), file: new KeptFile(file) });
  const buffer = Buffer.allocUnsafeSlow(readBytes);
  let sliceStart = performance.now();
  const yieldIfSliceUsed = async (): Promise<void> => {
    if (performance.now() - sliceStart < readSliceMs) return;
    await (options.pacer ? options.pacer.step() : yieldToLoop());
    sliceStart = performance.now();
  };
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(file, "r");
    // Bounded by the file's size: each turn reads at least one byte or stops.
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const problem = reader.push(buffer.subarray(0, bytesRead));
      if (problem !== undefined) return problem;
      // Bounded by the records of this read.
      for (let i = 0; i < read.length; i++) {
        onRecord!(read[i]);
        await yieldIfSliceUsed();
      }
      read.length = 0;
      await yieldIfSliceUsed();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await handle?.close();
  }
  return reader.finish();
}

/** A complete line: where it starts, its length, the CRC before it, its bytes if kept. */
interface Line {
  readonly position: number;
  readonly bytes: number;
  readonly crcBefore: number;
  /** The whole line with its newline; undefined for a line handed out unparsed. */
  readonly content: Buffer | undefined;
  readonly head: Buffer;
  /** For a line handed out unparsed: CRC-32 of its bytes without the newline. */
  readonly rawCrc: number;
}

/** Bytes of a line looked at before deciding whether to keep it. */
const headBytes = 64;
const trailerStart = Buffer.from('{"kind":"snapshot-end"', "latin1");

/**
 * Splits the stream into lines, chains the CRC over every byte, and hands out records. The
 * buffer pushed is reused by the caller, so what is kept is copied: the first line (the
 * header), records that are parsed, and a line that may be the trailer. A line that looks
 * like the trailer waits until the next line shows it was a record; the last line must be it.
 */
class LineReader {
  private crc = 0;
  private position = 0;
  /** The line being read: its start, CRC before it, head, and pieces if kept. */
  private line = { position: 0, bytes: 0, crcBefore: 0, head: [] as Buffer[], headLength: 0,
    kept: undefined as Buffer[] | undefined, decided: false, raw: false, rawCrc: 0 };
  private pending: Line | undefined;
  private header: SnapshotHeader | undefined;
  private readonly records: unknown[] = [];
  private count = 0;

  /** `parseRecords` false: records are only counted, not kept (the CRC proves their bytes). */
  constructor(
    private readonly onRecord?: (record: unknown) => void,
    private readonly unparsed?: { readonly prefix: Buffer; readonly file: KeptFile },
    private readonly parseRecords = true,
  ) {}

  push(chunk: Buffer): string | undefined {
    let pos = 0;
    // Bounded: every turn consumes up to and including one newline of the chunk, or the rest.
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.take(chunk.subarray(pos, end));
      if (this.line.bytes > snapshotLineBytesMax) return "line longer than the limit";
      if (nl >= 0) {
        const problem = this.endLine();
        if (problem !== undefined) return problem;
      }
      pos = end;
    }
    return undefined;
  }

  finish(): SnapshotContent | string {
    if (this.line.bytes > 0) return "file does not end with a newline (torn)";
    const last = this.pending;
    if (this.header === undefined) return "no trailer";
    if (last === undefined) return this.count === 0 ? "no trailer" : "last line is not a trailer";
    const trailer = parseJson(last.content!) as { kind?: unknown; count?: unknown; crc?: unknown };
    if (trailer?.kind !== "snapshot-end") return "last line is not a trailer";
    if (trailer.count !== this.count) return "trailer count mismatch";
    if (trailer.crc !== last.crcBefore) return "trailer crc mismatch";
    return { ...this.header, records: this.records, crc: last.crcBefore };
  }

  /** A piece of the current line (up to and including its newline). */
  private take(piece: Buffer): void {
    const line = this.line;
    this.crc = crc32(piece, this.crc);
    line.bytes += piece.length;
    if (!line.decided) {
      const head = piece.subarray(0, headBytes - line.headLength);
      line.head.push(Buffer.from(head));
      line.headLength += head.length;
      piece = piece.subarray(head.length);
      // Decided once the head is full; a shorter line is decided as it ends (endLine).
      if (line.headLength < headBytes) return;
      this.decide();
    }
    if (line.kept !== undefined && piece.length > 0) line.kept.push(Buffer.from(piece));
    else if (line.raw && piece.length > 0) line.rawCrc = crc32(withoutNewline(piece), line.rawCrc);
  }

  /** Keeps the line unless it is a record the reader hands out unparsed or only counts. */
  private decide(): void {
    const line = this.line;
    line.decided = true;
    const head = Buffer.concat(line.head);
    const prefix = this.unparsed?.prefix;
    const record = this.header !== undefined;
    const raw = record && prefix !== undefined && this.onRecord !== undefined
      && head.length > prefix.length && head.subarray(0, prefix.length).equals(prefix);
    // A line that may be the trailer is kept: finish() reads it.
    const counted = record && !this.parseRecords && !head.subarray(0, trailerStart.length).equals(trailerStart);
    line.head = [head];
    line.kept = raw || counted ? undefined : [head];
    line.raw = raw;
    if (raw) line.rawCrc = crc32(withoutNewline(head));
  }

  private endLine(): string | undefined {
    if (!this.line.decided) this.decide();
    const l = this.line;
    const done: Line = {
      position: l.position, bytes: l.bytes, crcBefore: l.crcBefore, head: l.head[0]!,
      content: l.kept === undefined ? undefined : Buffer.concat(l.kept), rawCrc: l.rawCrc,
    };
    this.position += l.bytes;
    this.line = { position: this.position, bytes: 0, crcBefore: this.crc, head: [], headLength: 0,
      kept: undefined, decided: false, raw: false, rawCrc: 0 };
    if (this.header === undefined) {
      const header = asHeader(parseJson(done.content!));
      if (header === undefined) return "first line is not a snapshot header";
      this.header = header;
      return undefined;
    }
    const pending = this.pending;
    this.pending = undefined;
    const problem = pending === undefined ? undefined : this.record(pending);
    if (problem !== undefined) return problem;
    const maybeTrailer = done.content !== undefined
      && done.head.subarray(0, trailerStart.length).equals(trailerStart);
    if (maybeTrailer) this.pending = done;
    else return this.record(done);
    return undefined;
  }

  private record(line: Line): string | undefined {
    if (!this.parseRecords) {
      this.count++;
      return undefined;
    }
    const start = line.head.toString("latin1");
    const record = line.content === undefined
      ? new RawRecord(this.unparsed!.file.hold(), line.position, line.bytes - 1, start, line.rawCrc)
      : parseJson(line.content);
    if (record === undefined) return `record ${this.count} is not JSON`;
    this.count++;
    if (this.onRecord) this.onRecord(record);
    else this.records.push(record);
    return undefined;
  }
}

/** A line's bytes without its newline (only a line's last piece has one, at its end). */
function withoutNewline(piece: Buffer): Buffer {
  return piece.at(-1) === 0x0a ? piece.subarray(0, -1) : piece;
}

/**
 * Verifies a snapshot file as its bytes arrive (a transfer from the primary, R19): the
 * reader's own checks — a header line, whole lines, the trailer's count and CRC — without
 * parsing or keeping the records (the CRC proves they are the bytes the writer wrote). Memory
 * stays bounded by the longest line. After the first problem every call returns it.
 */
export class SnapshotVerifier {
  private readonly reader = new LineReader(undefined, undefined, false);
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
