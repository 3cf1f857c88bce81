// Looks past a damaged line for batch markers that are still intact: a marker line whose
// own CRC verifies (chained from the line before it) and whose `bytes`/`crc` match the batch
// right before it. One intact marker after the damage proves a later batch was completely
// written, and R5 starts a batch only after the previous one's fdatasync, so the damage lies
// in fsynced (maybe acked) data: corruption, not a torn tail (S3, S4, CE11).
import { crc32 } from "./crc.js";
import {
  asMarker,
  lineCrcOk,
  looksLikeMarker,
  parseObject,
  splitLine,
  type RawLine,
} from "./wal-format.js";

export interface IntactMarkers {
  readonly count: number;
  /** The highest `last` among them (-1 if none): how far the damaged log reaches. */
  readonly lastMax: number;
}

/**
 * Intact markers among the lines from `from` on; `chainAtFrom` is the CRC of the line that
 * ends right before `from` (undefined if unknown).
 */
export function intactMarkersFrom(
  buf: Buffer,
  from: number,
  chainAtFrom: number | undefined,
): IntactMarkers {
  let count = 0;
  let lastMax = -1;
  let previous = chainAtFrom;
  let pos = from;
  // Bounded: every turn moves past one newline.
  while (pos < buf.length) {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) break;
    const line = splitLine(buf, pos);
    if (typeof line === "string") {
      previous = undefined;
    } else {
      const last = intactMarkerLast(buf, line, previous);
      if (last >= 0) {
        count++;
        lastMax = Math.max(lastMax, last);
      }
      previous = line.storedCrc;
    }
    pos = end + 1;
  }
  return { count, lastMax };
}

/** The marker's `last` if `line` is an intact marker, else -1. */
function intactMarkerLast(buf: Buffer, line: RawLine, previous: number | undefined): number {
  if (!looksLikeMarker(buf, line)) return -1;
  const obj = parseObject(buf, line);
  const marker = obj === undefined ? undefined : asMarker(obj);
  if (marker === undefined || marker.bytes === 0) return -1;
  // The batch's CRC authenticates its bytes; the byte before them belongs to the previous
  // batch and may be the damaged one (a flipped newline), so it is not required to be `\n`.
  const batchStart = line.start - marker.bytes;
  if (batchStart <= 0) return -1;
  if (crc32(buf.subarray(batchStart, line.start)) !== marker.crc) return -1;
  // The marker's line CRC chains from the batch's last record. When that flipped newline
  // merged the record into the damaged line before it, the scan's `previous` is the damaged
  // line's CRC: take the chain from the record itself, which the batch CRC just authenticated.
  if (previous !== undefined && lineCrcOk(buf, line, previous)) return marker.last;
  const lastRecordStart = Math.max(batchStart, buf.lastIndexOf(0x0a, line.start - 2) + 1);
  const lastRecord = splitLine(buf, lastRecordStart);
  if (typeof lastRecord === "string" || lastRecord.end >= line.start) return -1;
  return lineCrcOk(buf, line, lastRecord.storedCrc) ? marker.last : -1;
}
