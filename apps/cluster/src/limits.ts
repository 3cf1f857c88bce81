// Every bound of the node process in one place (units last).

/** Largest gRPC message a client may send to the client port: a 4096-character text is ≤ 16 KiB. */
export const clientMessageBytesMax = 64 * 1024;
/** Largest gRPC message on the replica port; append batches and snapshot chunks stay below it. */
export const replicaMessageBytesMax = 8 * 1024 * 1024;
/** Concurrent scrypt hashes; kept below UV_THREADPOOL_SIZE so fsync never queues behind them. */
export const scryptConcurrencyMax = 2;
/** Queued scrypt jobs before Register/Login answer RESOURCE_EXHAUSTED. */
export const scryptQueueMax = 256;
/** Stream heartbeat period (REPLICATION.md R23: at most every 250 ms). */
export const streamHeartbeatMs = 200;
/** Events written per pump of a Subscribe stream before yielding. */
export const streamBatchEvents = 256;
/** Open Subscribe streams per node. */
export const streamsMax = 10_000;
/** Committed entries between snapshots (cluster.json `limits.snapshotEveryEntries` overrides it;
 *  the replication core hints `compact` at this interval, a single node counts its own). */
export const snapshotEveryEntries = 100_000;
/** Bytes per frame of a snapshot file streamed to a lagging node (cluster.json
 *  `limits.snapshotPartBytes` overrides it, up to the receiver's 4 MiB per write). */
export const snapshotPartBytes = 1024 * 1024;
/** Snapshot transfers a node receives at once (each to its own temp file). */
export const snapshotTransfersInMax = 4;
/** Log entries kept behind a snapshot for catch-up by suffix. */
export const logRetainEntries = 5_000;
/** A replica restores its snapshot at start in slices of this long (node-storage.ts)... */
export const restoreBehindSliceMs = 15;
/** ...taking at most this share of a core until the host hurries it (replicated.ts). */
export const restoreBehindDuty = 0.5;
/** Pending proposals before new mutating calls answer RESOURCE_EXHAUSTED. */
export const proposalsInFlightMax = 10_000;
/** How long `up` waits for a primary. */
export const upPrimaryWaitMs = 20_000;
/** How long `down` waits after SIGTERM before SIGKILL. */
export const downGraceMs = 5_000;
/** Failed logins of one username tolerated before each further one doubles a lock-out. */
export const loginFailuresFreePerUser = 5;
/** Failed logins from one peer address (any usernames) tolerated before the same. */
export const loginFailuresFreePerPeer = 20;
/** Failures older than this (after their lock-out) are forgotten. */
export const loginFailureWindowMs = 60_000;
/** First lock-out; doubled by every failure past the allowance. */
export const loginLockoutMsBase = 1_000;
export const loginLockoutMsMax = 15 * 60_000;
/** Sustained messages per second one user may send, and the burst above it. */
export const sendsPerUserPerSec = 500;
export const sendBurstPerUser = 1_000;
/** Usernames and peers the throttles remember (oldest forgotten first). */
export const throttleKeysMax = 100_000;
/** Open Subscribe streams on one client connection. */
export const streamsPerConnectionMax = 64;
/** Sends in one SendMessages request. */
export const sendsPerRequestMax = 1_024;
/** Sends of one SendMessages stream in flight before the node stops reading it (flow control). */
export const sendStreamPendingMax = 1_024;
/** Open connections to the liveness port (peers keep one each); more are closed at once. */
export const livenessConnectionsMax = 64;
