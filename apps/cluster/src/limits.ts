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
/** Committed entries between snapshots. */
export const snapshotEveryEntries = 200_000;
/** Log entries kept behind a snapshot for catch-up by suffix. */
export const logRetainEntries = 5_000;
/** Pending proposals before new mutating calls answer RESOURCE_EXHAUSTED. */
export const proposalsInFlightMax = 10_000;
/** How long `up` waits for a primary. */
export const upPrimaryWaitMs = 20_000;
/** How long `down` waits after SIGTERM before SIGKILL. */
export const downGraceMs = 5_000;
