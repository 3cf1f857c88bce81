import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { BufferedOutput } from "./buffered-output.js";
import { crc32 } from "./crc.js";
import { nodeFileIo } from "./io.js";

test("a buffered output writes exactly the UTF-8 of its pieces, with their CRC", async () => {
  const dir = mkdtempSync(join(tmpdir(), "buffered-output-"));
  try {
    // Pieces of any text (multi-byte characters across the buffer's end, pieces larger than
    // the buffer) through a 16-byte buffer.
    const texts = fc.array(fc.string({ unit: "grapheme", maxLength: 40 }), { maxLength: 30 });
    await fc.assert(fc.asyncProperty(texts, async (pieces) => {
      const file = join(dir, "out");
      const fh = await fs.open(file, "w");
      const out = new BufferedOutput(nodeFileIo, fh, 16);
      for (const piece of pieces) await out.add(piece); // awaiting undefined is fine too
      await out.flush();
      await fh.close();
      const expected = Buffer.from(pieces.join(""), "utf8");
      assert.deepEqual(readFileSync(file), expected);
      assert.equal(out.crc, crc32(expected, 0));
    }), { numRuns: 200 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
