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
    if (this.used + text.length * 3 > this.buffer.length) return this.addAfterFlush(text);
    this.used += this.buffer.write(text, this.used, "utf8");
    return undefined;
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
    if (this.used + bytes.length > this.buffer.length) return this.addBytesAfterFlush(bytes);
    this.used += bytes.copy(this.buffer, this.used);
    return undefined;
  }

  /** Writes out what the buffer holds. */
  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.writeOut(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private async addAfterFlush(text: string): Promise<void> {
    await this.flush();
    if (text.length * 3 > this.buffer.length) await this.writeOut(Buffer.from(text, "utf8"));
    else this.used += this.buffer.write(text, this.used, "utf8");
  }

  private async addBytesAfterFlush(bytes: Buffer): Promise<void> {
    await this.flush();
    if (bytes.length > this.buffer.length) await this.writeOut(bytes);
    else this.used += bytes.copy(this.buffer, this.used);
  }

  private async writeOut(bytes: Buffer): Promise<void> {
    this.crc = crc32(bytes, this.crc);
    await writeAll(this.io, this.fh, bytes);
  }
}
