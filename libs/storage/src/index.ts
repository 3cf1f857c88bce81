// @chat-tui/storage: a replica's durable state on disk (REPLICATION.md §4 and §8).
//   CommitLog      the write-ahead log: JSON lines, CRC-chained, group-committed, recovered
//   SnapshotStore  streamed snapshots and their durable MANIFEST; received from a primary as files
//   MetaStore      meta.json: identity, epoch, votes (lowdb through DurableJsonFile)
//   lockDataDir    one process per data dir
export { CommitLog } from "./commit-log.js";
export type { OpenedCommitLog } from "./commit-log.js";
export type { CommitLogOptions, RecoveryReport, SnapshotPoint } from "./commit-log-types.js";
export type { LogEntry, LogPosition, RawEntry } from "./log-entry.js";
export type { Corruption, TornTail } from "./wal-recovery.js";
export type { WalStats } from "./wal-writer.js";
export { nodeFileIo } from "./io.js";
export type { FileIo } from "./io.js";
export { StorageFatalError, StorageFaultedError } from "./errors.js";
export { DurableJsonFile } from "./durable-file.js";
export { MetaStore } from "./meta-store.js";
export type { MetaInit, MetaPatch, NodeMeta } from "./meta-store.js";
export { RecordBytes, SnapshotStore } from "./snapshot-store.js";
export { RawRecord } from "./snapshot-format.js";
export { Pacer } from "./pacer.js";
export type { StreamOptions } from "./snapshot-format.js";
export type { LoadedSnapshot, Manifest, OpenedSnapshot, SnapshotChunks, SnapshotMeta } from "./snapshot-store.js";
export type {
  ExpectedSnapshot, ReceivedSnapshot, SnapshotReceiver, SnapshotSource,
} from "./snapshot-receive.js";
export { lockDataDir } from "./lock.js";
export type { DataDirLock } from "./lock.js";
export * as limits from "./limits.js";
