// Test helpers shared by the storage tests: temp dirs, entries, and reading a WAL's layout
// (segment files, batch boundaries) so crash tests can cut or damage it at exact places.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { CommitLog } from "../commit-log.js";
import type { CommitLogOptions } from "../commit-log-types.js";
import type { FileIo } from "../io.js";
import { nodeFileIo } from "../io.js";
import { parseSegmentName } from "../wal-format.js";

export interface TestEntry {
  readonly index: number;
  readonly epoch: number;
  readonly text: string;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "chat-storage-"));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function makeEntries(from: number, count: number, epoch = 1): TestEntry[] {
  const out: TestEntry[] = [];
  for (let i = 0; i < count; i++) out.push({ index: from + i, epoch, text: `message ${from + i}` });
  return out;
}

/** Opens a log, appends each batch and waits for it (one group-commit batch each), closes. */
export async function writeBatches(
  dir: string,
  batches: readonly (readonly TestEntry[])[],
  options: CommitLogOptions = {},
): Promise<void> {
  const { log } = await CommitLog.open<TestEntry>(dir, options);
  for (const batch of batches) await log.append(batch);
  await log.close();
}

/** Segment file paths, oldest first. */
export async function segmentFiles(dir: string): Promise<string[]> {
  const wal = path.join(dir, "wal");
  const names = (await fs.readdir(wal)).filter((n) => parseSegmentName(n) !== undefined);
  return names.sort().map((n) => path.join(wal, n));
}

/** Offsets where the seed line and each batch marker line end, in file order. */
export function batchEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    const json = buf.toString("utf8", pos + 9, nl);
    if (pos === 0 || json.startsWith('{"marker":')) ends.push(nl + 1);
    pos = nl + 1;
  }
  return ends;
}

/** Every `(start, end)` of entry lines in a segment, with the entry's index. */
export function entryLines(buf: Buffer): { index: number; start: number; end: number }[] {
  const lines: { index: number; start: number; end: number }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    const obj = JSON.parse(buf.toString("utf8", pos + 9, nl)) as { index?: unknown };
    if (typeof obj.index === "number") lines.push({ index: obj.index, start: pos, end: nl + 1 });
    pos = nl + 1;
  }
  return lines;
}

export async function copyDir(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true });
}

export function flipBit(buf: Buffer, offset: number, bit: number): Buffer {
  const copy = Buffer.from(buf);
  copy[offset] = (copy[offset] as number) ^ (1 << bit);
  return copy;
}

/** File operations that count calls and let a test intercept them. */
export function countingIo(
  overrides: Partial<FileIo> = {},
): FileIo & { counts: Record<string, number> } {
  const counts: Record<string, number> = { write: 0, writeAt: 0, datasync: 0, sync: 0 };
  return {
    counts,
    write(fh, buf, offset, length) {
      counts["write"]!++;
      return (overrides.write ?? nodeFileIo.write)(fh, buf, offset, length);
    },
    writeAt(fh, buf, offset, length, position) {
      counts["writeAt"]!++;
      return (overrides.writeAt ?? nodeFileIo.writeAt)(fh, buf, offset, length, position);
    },
    datasync(fh) {
      counts["datasync"]!++;
      return (overrides.datasync ?? nodeFileIo.datasync)(fh);
    },
    sync(fh) {
      counts["sync"]!++;
      return (overrides.sync ?? nodeFileIo.sync)(fh);
    },
  };
}

/**
 * Real writes, no fsyncs: for tests that simulate crashes by editing files and only need
 * speed (durability against power loss is not what they check).
 */
export const noSyncIo: FileIo = {
  write: nodeFileIo.write,
  writeAt: nodeFileIo.writeAt,
  datasync: async () => undefined,
  sync: async () => undefined,
};
