// Every bound the storage layer enforces, in one place (TigerStyle: a limit on every queue,
// loop and batch; units last). Tests may lower the tunable ones through options.

const mebibyte = 1024 * 1024;

/** A WAL segment is rolled once it reaches this size (etcd's 64 MB). */
export const segmentBytesMax = 64 * mebibyte;
/** The smallest segment size a caller may configure (tests use tiny segments). */
export const segmentBytesMin = 256;

/** At most this many log entries go into one group-commit batch (one write + fdatasync). */
export const batchEntriesMax = 4096;
/** At most this many bytes of records go into one batch; one record may exceed it alone. */
export const batchBytesMax = 1 * mebibyte;
/** The largest serialised entry (JSON bytes) the log accepts. */
export const recordBytesMax = 1 * mebibyte;
/** Appends queued and not yet durable; beyond this `append` rejects (the caller must pace). */
export const queueEntriesMax = 262_144;

/** The seed record that opens every segment fits in this many bytes. */
export const seedLineBytesMax = 512;
/** `<segment>.broken`, `<segment>.broken-2`, … : how many torn-tail copies one segment keeps. */
export const brokenCopiesMax = 100;

/** Snapshots kept on disk: the current one and one to fall back to (§8.5 step 6). */
export const snapshotsKeptCount = 2;
/** A snapshot is written through a buffer of this many bytes (a larger piece goes on its own). */
export const snapshotWriteBytesMax = 1 * mebibyte;
/** A snapshot write rests once it has run this long (pacer.ts)... */
export const snapshotWriteSliceMs = 10;
/** ...so that it takes at most this share of a core. */
export const snapshotWriteDuty = 0.25;
/** The longest line a snapshot reader accepts (a header or one record). */
export const snapshotLineBytesMax = 256 * mebibyte;
/**
 * The largest piece of a snapshot file a receiver takes in one write (a transfer from the
 * primary, R19). A whole file has no limit: it streams to disk.
 */
export const snapshotReceiveChunkBytesMax = 4 * mebibyte;

/** One slot of the hard-state file (epoch, votes, commit hint); the file holds two. */
export const hardStateSlotBytes = 4096;
/** `meta.json` keeps the votes of at most this many epochs (the highest ones). */
export const votedForEpochsMax = 16;

/** Attempts to take over a stale data-dir lock before giving up. */
export const lockTakeoverAttemptsMax = 3;
