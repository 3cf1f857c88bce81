// The WAL's on-disk format (REPLICATION.md §8.1–8.2): segment names, and lines
// `CCCCCCCC {json}\n` where CCCCCCCC is the hex CRC-32 of the exact JSON bytes, seeded with
// the previous line's CRC (a chain across records, batches and segments).
//
// Record kinds, told apart by their top-level key:
//   entry     any object with a numeric top-level `index` (and `epoch`): a log entry
//   seed      {"seed":{"seq","crc","index","epoch","reset"}}  first line of every segment;
//             `crc` is the chain value it continues, (index, epoch) the entry just before
//             the segment; `reset` starts a fresh log there (snapshot install or repair).
//             Its own CRC is seeded with its `crc` field, so it verifies on its own.
//   truncate  {"truncate":N}  drop every entry after N (alone in its batch)
//   marker    {"marker":{"last","bytes","crc"}}  closes a batch: `last` is the log's last
//             index after the batch, `bytes` the batch's length before the marker line and
//             `crc` the CRC-32 chained over those bytes. Markers take no index.
import { crc32, hex8, parseHex8 } from "./crc.js";

export interface SeedRecord {
  readonly seq: number;
  readonly crc: number;
  readonly index: number;
  readonly epoch: number;
  readonly reset: boolean;
}

export interface MarkerRecord {
  readonly last: number;
  readonly bytes: number;
  readonly crc: number;
}

const segmentPattern = /^(\d{16})-(\d{16})\.jsonl$/;

export function segmentName(seq: number, firstIndex: number): string {
  return `${String(seq).padStart(16, "0")}-${String(firstIndex).padStart(16, "0")}.jsonl`;
}

/** `{seq, firstIndex}` of a segment file name, or undefined for any other file. */
export function parseSegmentName(name: string): { seq: number; firstIndex: number } | undefined {
  const m = segmentPattern.exec(name);
  if (m === null) return undefined;
  return { seq: Number(m[1]), firstIndex: Number(m[2]) };
}

export function seedJson(seed: SeedRecord): string {
  return JSON.stringify({ seed: { ...seed } });
}

export function truncateJson(after: number): string {
  return `{"truncate":${after}}`;
}

export function markerJson(marker: MarkerRecord): string {
  return `{"marker":{"last":${marker.last},"bytes":${marker.bytes},"crc":${marker.crc}}}`;
}

/** One line for `json`, chained from `previous`; returns the line and its CRC. */
export function encodeLine(json: string, previous: number): { line: string; crc: number } {
  const crc = crc32(json, previous);
  return { line: `${hex8(crc)} ${json}\n`, crc };
}

/** A line split out of a buffer: where its JSON lies, and the CRC it claims. */
export interface RawLine {
  readonly start: number;
  readonly jsonStart: number;
  /** Offset of the terminating `\n`. */
  readonly end: number;
  readonly storedCrc: number;
}

/** Splits the line at `start`; a string says why it is not even shaped like a line. */
export function splitLine(buf: Buffer, start: number): RawLine | string {
  const end = buf.indexOf(0x0a, start);
  if (end < 0) return "line without a newline (torn write)";
  if (end - start < 11 || buf[start + 8] !== 0x20) return "malformed line";
  const storedCrc = parseHex8(buf, start);
  if (storedCrc < 0) return "malformed crc field";
  return { start, jsonStart: start + 9, end, storedCrc };
}

/** Whether the line's JSON bytes hash to its stored CRC when chained from `previous`. */
export function lineCrcOk(buf: Buffer, line: RawLine, previous: number): boolean {
  return crc32(buf.subarray(line.jsonStart, line.end), previous) === line.storedCrc;
}

/** Parses the line's JSON as a plain object; undefined if it is not one. */
export function parseObject(buf: Buffer, line: RawLine): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString("utf8", line.jsonStart, line.end));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isCrc = (v: unknown): v is number => isIndex(v) && v <= 0xffffffff;

export function asSeed(obj: Record<string, unknown>): SeedRecord | undefined {
  const s = obj["seed"] as Record<string, unknown> | undefined;
  if (typeof s !== "object" || s === null) return undefined;
  const { seq, crc, index, epoch, reset } = s;
  if (!isIndex(seq) || !isCrc(crc) || !isIndex(index) || !isIndex(epoch)) return undefined;
  if (typeof reset !== "boolean") return undefined;
  return { seq, crc, index, epoch, reset };
}

export function asMarker(obj: Record<string, unknown>): MarkerRecord | undefined {
  const m = obj["marker"] as Record<string, unknown> | undefined;
  if (typeof m !== "object" || m === null) return undefined;
  const { last, bytes, crc } = m;
  if (!isIndex(last) || !isIndex(bytes) || !isCrc(crc)) return undefined;
  return { last, bytes, crc };
}

/** Reads and verifies a seed line at offset 0; undefined if it is damaged or not a seed. */
export function readSeedLine(buf: Buffer): { seed: SeedRecord; line: RawLine } | undefined {
  const line = splitLine(buf, 0);
  if (typeof line === "string") return undefined;
  const obj = parseObject(buf, line);
  const seed = obj === undefined ? undefined : asSeed(obj);
  if (seed === undefined || !lineCrcOk(buf, line, seed.crc)) return undefined;
  return { seed, line };
}

/** The bytes `"{\"marker\":"`: a cheap pre-check before parsing a candidate marker line. */
const markerPrefix = Buffer.from('{"marker":');

export function looksLikeMarker(buf: Buffer, line: RawLine): boolean {
  if (line.end - line.jsonStart < markerPrefix.length) return false;
  return (
    buf.compare(
      markerPrefix,
      0,
      markerPrefix.length,
      line.jsonStart,
      line.jsonStart + markerPrefix.length,
    ) === 0
  );
}
