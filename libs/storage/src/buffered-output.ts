// Text written to a file through one reused buffer. A snapshot is tens of megabytes of JSON:
// built as strings of up to a mebibyte and copied into a fresh Buffer each, every piece landed
// in V8's large-object space and in external memory, which only a full mark-compact frees, and
// a snapshot on a loaded node set off a run of them. Here the pieces stay small strings and the
// bytes go through one buffer. The CRC covers the bytes in the order written.
import type * as fs from "node:fs/promises";
import { crc32 } from "./crc.js";
import { writeAll, type FileIo } from "./io.js";

export class BufferedOutput {
  /** CRC-32 of every byte written so far. */
  crc = 0;
  private readonly buffer: Buffer;
  private used = 0;

  constructor(private readonly io: FileIo, private readonly fh: fs.FileHandle, bytes: number) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }

  /**
   * Appends `text` as UTF-8. Returns a promise only when it writes out (the buffer might not
   * hold the text), which the caller must await before the next `add`: most pieces are small,
   * and an await for each cost more than the piece's JSON.
   */
  add(text: string): Promise<void> | undefined {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    return this.append(text, text.length * 3);
  }

  /** Appends each piece as UTF-8, awaiting only when one makes the buffer write out. */
  async addPieces(pieces: Iterable<string>): Promise<void> {
    for (const piece of pieces) {
      const flushing = this.add(piece);
      if (flushing) await flushing;
    }
  }

  /** Appends bytes as they are; like `add`, a promise only when it writes out. */
  addBytes(bytes: Buffer): Promise<void> | undefined {
    return this.append(bytes, bytes.length);
  }

  /** Writes out what the buffer holds. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeOut(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  /** `piece` takes at most `bytesMax` bytes: copied in, after a flush if it might not fit. */
  private append(piece: string | Buffer, bytesMax: number): Promise<void> | undefined {
    if (this.used + bytesMax > this.buffer.length) return this.appendAfterFlush(piece, bytesMax);
    this.copyIn(piece);
    return undefined;
  }

  private async appendAfterFlush(piece: string | Buffer, bytesMax: number): Promise<void> {
    await this.flush();
    if (bytesMax <= this.buffer.length) this.copyIn(piece);
    else await this.writeOut(typeof piece === "string" ? Buffer.from(piece, "utf8") : piece);
  }

  private copyIn(piece: string | Buffer): void {
    this.used += typeof piece === "string" ? this.buffer.write(piece, this.used, "utf8")
      : piece.copy(this.buffer, this.used);
  }

  private async writeOut(bytes: Buffer): Promise<void> {
    this.crc = crc32(bytes, this.crc);
    await writeAll(this.io, this.fh, bytes);
  }
}
