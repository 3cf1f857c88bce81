// CRC-32 (zlib's polynomial) through node:zlib, which has `crc32` since Node 20.15 / 22.2.
// It is feature-detected, so importing this package on an older Node fails only when a
// checksum is first needed, with a message that says why.
import * as zlib from "node:zlib";

type Crc32 = (data: string | Uint8Array, value?: number) => number;

const native = (zlib as { crc32?: Crc32 }).crc32;

/** Throws a clear error when this Node has no `zlib.crc32`. Storage entry points call it. */
export function requireCrc32(): void {
  if (typeof native !== "function") {
    throw new Error(
      `@chat-tui/storage needs zlib.crc32 (Node >= 20.15 or >= 22.2); this is ${process.version}`,
    );
  }
}

/** CRC-32 of `data` (strings as UTF-8), continuing from `previous` (chaining). Unsigned. */
export function crc32(data: string | Uint8Array, previous = 0): number {
  if (native === undefined) requireCrc32();
  return (native as Crc32)(data, previous);
}

const byteHex = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Eight lowercase hex digits (table-driven: this runs once per record). */
export function hex8(value: number): string {
  const v = value >>> 0;
  return (
    (byteHex[v >>> 24] as string) +
    (byteHex[(v >>> 16) & 0xff] as string) +
    (byteHex[(v >>> 8) & 0xff] as string) +
    (byteHex[v & 0xff] as string)
  );
}

/** Parses eight hex digits at `offset`; -1 if any byte is not a hex digit. */
export function parseHex8(buf: Uint8Array, offset: number): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const c = buf[offset + i] ?? 0;
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
    else return -1; // lowercase only: a flipped case bit must not read as the same digit
    value = value * 16 + digit;
  }
  return value;
}
