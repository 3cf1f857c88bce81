// Recovery on open (§8.4): replays every WAL segment and classifies damage. Damage after the
// last intact batch marker of the last segment is a torn tail (S3): the bad bytes are copied
// to `<segment>.broken`, fsynced, and the segment is cut back to that marker. Damage before
// an intact marker, or in any earlier segment, is corruption (S4): nothing is cut, only the
// intact prefix is trusted, and the caller turns storage-faulted.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fatal } from "./errors.js";
import { intactMarkersFrom } from "./intact-markers.js";
import { fileMode, fsyncDir, isErrno, writeAll, type FileIo } from "./io.js";
import { brokenCopiesMax, seedLineBytesMax } from "./limits.js";
import type { LogEntry } from "./log-entry.js";
import {
  emptyReplayState,
  scanSegment,
  type ReplayState,
  type ScanResult,
} from "./segment-scan.js";
import { parseSegmentName, readSeedLine } from "./wal-format.js";

export interface SegmentInfo {
  readonly seq: number;
  readonly name: string;
  readonly path: string;
  /** The position right before the segment's first entry (from its seed). */
  readonly seedIndex: number;
  readonly seedEpoch: number;
  /** The highest index any intact batch of the segment reached. */
  maxIndex: number;
}

export interface TornTail {
  readonly segment: string;
  readonly reason: string;
  /** Bytes cut from the segment (0 for an empty segment file, which is just removed). */
  readonly bytes: number;
  /** Where the cut bytes were copied; null when there were none. */
  readonly brokenFile: string | null;
}

export interface Corruption {
  /** Where the damage is; absent when the log as a whole does not chain from the snapshot. */
  readonly segment?: string;
  readonly offset?: number;
  readonly reason: string;
  /** The first index not trusted: the intact prefix ends right before it. */
  readonly firstDamagedIndex: number;
  /** The highest index an intact marker at or after the damage names (R18's reach). */
  readonly lastIndexReached: number;
}

export interface WalRecovery<E extends LogEntry> {
  readonly state: ReplayState<E>;
  /** Segments holding the replayed log, oldest first; the last one is the active one. */
  readonly segments: SegmentInfo[];
  readonly tornTail: TornTail | undefined;
  readonly corruption: Corruption | undefined;
  /** Segments deleted because a later reset segment supersedes them. */
  readonly supersededSegments: number;
}

/** `parseAfter`: entries up to it are covered by a snapshot and not parsed (segment-scan.ts). */
export async function recoverWal<E extends LogEntry>(
  walDir: string,
  io: FileIo,
  parseAfter = -1,
): Promise<WalRecovery<E>> {
  const names = await listSegments(walDir);
  const start = await newestResetSegment(walDir, names);
  for (const name of names.slice(0, start)) await fs.unlink(path.join(walDir, name));
  if (start > 0) await fsyncDir(io, walDir);
  const live = names.slice(start);
  const state = emptyReplayState<E>();
  state.parseAfter = parseAfter;
  const segments: SegmentInfo[] = [];
  for (let i = 0; i < live.length; i++) {
    const name = live[i] as string;
    const file = path.join(walDir, name);
    const buf = await fs.readFile(file);
    const result = scanSegment(buf, state);
    if (result.kind === "clean") {
      segments.push(segmentInfo(name, file, result));
      continue;
    }
    const verdict = classifyDamage(buf, result, state.chain, i === live.length - 1);
    if (verdict.kind === "corruption") {
      if (result.seed !== undefined) segments.push(segmentInfo(name, file, result));
      const reach = Math.max(verdict.reach, await reachOf(walDir, live.slice(i + 1)));
      const corruption = keepIntactPrefix(state, name, result, reach);
      return { state, segments, tornTail: undefined, corruption, supersededSegments: start };
    }
    const tornTail = await cutTornTail(io, walDir, name, buf, result);
    state.entries.length = state.lastIndex - state.baseIndex;
    if (result.cut > 0) segments.push(segmentInfo(name, file, result));
    return { state, segments, tornTail, corruption: undefined, supersededSegments: start };
  }
  return { state, segments, tornTail: undefined, corruption: undefined, supersededSegments: start };
}

/** `reach`: the highest index an intact marker after the damage names (-1 if none seen). */
export type DamageVerdict =
  | { readonly kind: "torn-tail" }
  | { readonly kind: "corruption"; readonly reach: number };

/**
 * S3/S4 for a damaged scan: in the last segment with no intact marker after the last intact
 * batch, a torn tail; anything else, corruption. `chain` is the replay's CRC at the cut.
 */
export function classifyDamage(
  buf: Buffer,
  result: Extract<ScanResult, { kind: "damaged" }>,
  chain: number,
  isLastSegment: boolean,
): DamageVerdict {
  if (!isLastSegment) return { kind: "corruption", reach: -1 };
  const after = intactMarkersFrom(buf, result.cut, chain);
  return after.count > 0 ? { kind: "corruption", reach: after.lastMax } : { kind: "torn-tail" };
}

export async function listSegments(walDir: string): Promise<string[]> {
  const names = (await fs.readdir(walDir)).filter((n) => parseSegmentName(n) !== undefined);
  // Names are zero-padded, so a string sort is a sort by seq.
  return names.sort();
}

function segmentInfo(name: string, file: string, result: ScanResult): SegmentInfo {
  const seed = result.seed;
  if (seed === undefined) throw new Error("segmentInfo: segment without a seed");
  return {
    seq: seed.seq,
    name,
    path: file,
    seedIndex: seed.index,
    seedEpoch: seed.epoch,
    maxIndex: result.maxIndex,
  };
}

/** Index in `names` of the newest segment whose intact seed resets the log (0 if none). */
async function newestResetSegment(walDir: string, names: readonly string[]): Promise<number> {
  for (let i = names.length - 1; i > 0; i--) {
    const head = await readHead(path.join(walDir, names[i] as string));
    if (readSeedLine(head)?.seed.reset === true) return i;
  }
  return 0;
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(seedLineBytesMax);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The highest index that segments after a damaged one still name (seeds, intact markers). */
async function reachOf(walDir: string, names: readonly string[]): Promise<number> {
  let reach = -1;
  for (const name of names) {
    const buf = await fs.readFile(path.join(walDir, name));
    const seeded = readSeedLine(buf);
    if (seeded !== undefined) reach = Math.max(reach, seeded.seed.index);
    reach = Math.max(reach, intactMarkersFrom(buf, 0, undefined).lastMax);
  }
  return reach;
}

/** S4: trust the log up to the first damaged record, including that batch's intact ones. */
function keepIntactPrefix<E extends LogEntry>(
  state: ReplayState<E>,
  segment: string,
  result: Extract<ScanResult, { kind: "damaged" }>,
  reach: number,
): Corruption {
  state.lastIndex = result.tentative.index;
  state.lastEpoch = result.tentative.epoch;
  state.entries.length = state.lastIndex - state.baseIndex;
  return {
    segment,
    offset: result.damageAt,
    reason: result.reason,
    firstDamagedIndex: state.lastIndex + 1,
    lastIndexReached: Math.max(reach, state.lastIndex),
  };
}

/** S3: copy the torn bytes to `.broken` and fsync, then cut the segment and fsync. */
async function cutTornTail(
  io: FileIo,
  walDir: string,
  segment: string,
  buf: Buffer,
  result: Extract<ScanResult, { kind: "damaged" }>,
): Promise<TornTail> {
  const file = path.join(walDir, segment);
  const tail = buf.subarray(result.cut);
  try {
    const brokenFile = tail.length > 0 ? await writeBroken(io, file, tail) : null;
    if (brokenFile !== null) await fsyncDir(io, walDir);
    if (result.cut === 0) {
      await fs.unlink(file); // not even the seed survived: the segment never existed
    } else {
      const fh = await fs.open(file, "r+");
      try {
        await fh.truncate(result.cut);
        await io.sync(fh);
      } finally {
        await fh.close();
      }
    }
    await fsyncDir(io, walDir);
    return { segment, reason: result.reason, bytes: tail.length, brokenFile };
  } catch (error) {
    throw fatal(`cutting the torn tail of ${file}`, error);
  }
}

async function writeBroken(io: FileIo, file: string, bytes: Buffer): Promise<string> {
  for (let n = 1; n <= brokenCopiesMax; n++) {
    const broken = n === 1 ? `${file}.broken` : `${file}.broken-${n}`;
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(broken, "wx", fileMode);
    } catch (error) {
      if (isErrno(error, "EEXIST")) continue;
      throw error;
    }
    try {
      await writeAll(io, fh, bytes);
      await io.sync(fh);
    } finally {
      await fh.close();
    }
    return broken;
  }
  throw new Error(`${file} already has ${brokenCopiesMax} .broken copies`);
}
