// Every bound and timing constant of the client SDK in one place (units last). The values
// follow REPLICATION.md R22/R23 and §7.3; each says why.

/** The local cluster started by `chat-cluster up` (DESIGN §6). */
export const defaultClusterAddresses = ["127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"];

/** Overall deadline of one logical call, retries and rebinds included (R22: "e.g. 10 s"). */
export const callDeadlineMsDefault = 10_000;

/**
 * Deadline of one attempt of a unary call. R22 suggests 250 ms on loopback; we default to 1 s:
 * Register/Login run scrypt behind a queue on the primary and a send waits for an fsync on
 * every view member, so on a loaded 2-vCPU box a healthy call can exceed 250 ms, and a call
 * that always outlives its attempt deadline would never succeed. 1 s (= T_exclude) costs
 * little on failover: a stopped primary is replaced only after ~T_exclude anyway, and an
 * attempt in flight is abandoned at once when the cluster watch names a newer primary.
 */
export const attemptTimeoutMsDefault = 1_000;

/** Backoff between attempts: the first retry waits 20–100 ms (R22), growing to about 1 s. */
export const backoffMsMin = 20;
export const backoffMsFirstMax = 100;
export const backoffMsMax = 1_000;
export const backoffGrowth = 2;

/** Attempts of one logical call, whatever the deadline says (a bound on the retry loop). */
export const attemptsPerCallMax = 200;

/** R23: the server sends a heartbeat at least every 250 ms; silence this long means resubscribe. */
export const streamSilenceMs = 1_000;

/** Messages buffered per `events()` iterator before the stream is paused (flow control). */
export const eventsBufferMax = 1_024;

/** Concurrent `next()` calls waiting on one `events()` iterator. */
export const eventsWaitersMax = 64;

/** How often the watched node is probed with GetStatus: WatchCluster is silent when nothing
 *  changes, so a SIGSTOPped node would otherwise look healthy forever (CE17). */
export const watchProbeIntervalMs = 1_000;

/** A WatchCluster stream that lived this long and then broke is followed on the next node at
 *  once, without backoff (a failover is news the client needs now). */
export const watchHealthyMs = 1_000;

/** Nodes the client tracks: seeds plus addresses learned from the cluster (DESIGN §2: 1–5). */
export const nodesMax = 16;

/** Deadline of a GetStatus used to discover the primary or probe a watched node. */
export const statusTimeoutMsMax = 500;

/** grpc-js channel options (R22); the grpc-js defaults are 1 s initial and 120 s max. */
export const channelOptions = {
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 1_000,
  // Each client its own connections: grpc-js otherwise shares one connection per address among
  // every client of a process, and a node's per-connection stream limit would count them all.
  "grpc.use_local_subchannel_pool": 1,
} as const;
/** Attempt deadline of Register and Login, which wait for a scrypt hash on the node. */
export const authAttemptTimeoutMs = 5_000;
/** How often a send pipe checks its sends' deadlines and whether its stream went silent. */
export const sendPipeSweepMs = 100;
/** Sends per SendMessages request (the node takes up to 1,024). */
export const sendsPerRequestMax = 256;
/** Bytes of sends per SendMessages request: below the node's 64 KiB message limit. */
export const sendRequestBytesMax = 48 * 1024;
