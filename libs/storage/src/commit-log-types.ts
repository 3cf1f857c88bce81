// The public shapes around CommitLog.open: what it takes and what recovery reports.
import type { FileIo } from "./io.js";
import type { LogPosition } from "./log-entry.js";
import type { Corruption, TornTail } from "./wal-recovery.js";

/** The durable snapshot a log continues from: MANIFEST's `index`, `epoch` and `logStart`. */
export interface SnapshotPoint extends LogPosition {
  /** `index + 1` for a snapshot installed from the primary (R19); null for a local one. */
  readonly logStart?: number | null;
}

export interface CommitLogOptions {
  /** Roll segments at this size; default 64 MiB. */
  readonly segmentBytesMax?: number;
  /** The snapshot the log must chain from (§8.4 step 2). */
  readonly snapshot?: SnapshotPoint;
  /** Return only entries after this index; default the snapshot's index, else all. */
  readonly afterIndex?: number;
  /** File operations (tests count syncs, force short writes, inject fsync errors). */
  readonly io?: FileIo;
}

export interface RecoveryReport {
  /** Segments holding the log after recovery. */
  readonly segments: number;
  /** Older segments removed because a reset segment supersedes them. */
  readonly supersededSegments: number;
  /** S3: an unfinished last batch was cut off (a copy kept in `brokenFile`). */
  readonly tornTail?: TornTail;
  /** S4: damage before an intact marker; the log is faulted and holds the intact prefix. */
  readonly corruption?: Corruption;
  /** The log did not chain from an installed snapshot and was restarted after it (R19). */
  readonly rebased?: {
    readonly index: number;
    readonly epoch: number;
    readonly droppedLastIndex: number;
  };
}
