// Builds a large, valid single-segment WAL directly with the format functions, much faster
// than going through the queue: for replay benchmarks only.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { crc32 } from "../crc.js";
import { batchEntriesMax } from "../limits.js";
import { encodeLine, markerJson, seedJson, segmentName } from "../wal-format.js";

export async function writeSyntheticWal(
  dataDir: string,
  count: number,
  json: (index: number) => { epoch: number; json: string },
): Promise<void> {
  const wal = path.join(dataDir, "wal");
  await fs.mkdir(wal, { recursive: true });
  const fh = await fs.open(path.join(wal, segmentName(1, 1)), "w");
  try {
    const seed = encodeLine(seedJson({ seq: 1, crc: 0, index: 0, epoch: 0, reset: false }), 0);
    await fh.write(seed.line);
    let chain = seed.crc;
    for (let first = 1; first <= count; first += batchEntriesMax) {
      const last = Math.min(count, first + batchEntriesMax - 1);
      let text = "";
      for (let index = first; index <= last; index++) {
        const line = encodeLine(json(index).json, chain);
        text += line.line;
        chain = line.crc;
      }
      const body = Buffer.from(text, "utf8");
      const marker = encodeLine(markerJson({ last, bytes: body.length, crc: crc32(body) }), chain);
      chain = marker.crc;
      await fh.write(Buffer.concat([body, Buffer.from(marker.line, "utf8")]));
    }
  } finally {
    await fh.close();
  }
}
