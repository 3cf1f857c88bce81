// Named constants for the replication core: timing (REPLICATION.md §7.3) and bounds on every
// queue, batch and loop (TigerBeetle style: a limit on everything). Units last in names.

/** Timing parameters of one replica. All values are milliseconds of monotonic time. */
export interface Timing {
  /** Host ticker period; the self-pause guard's resolution. */
  readonly tickMs: number;
  /** Heartbeat and probe interval `h`. */
  readonly heartbeatMs: number;
  /** Self-pause threshold θ (R8). */
  readonly pauseThresholdMs: number;
  /** Bound on every probe round trip between running, unpaused nodes (§1). */
  readonly roundTripMaxMs: number;
  /** Slack in the T_exclude constraint. */
  readonly marginMs: number;
  /** Silence needed for SILENT evidence (R7). */
  readonly excludeMs: number;
  /** R13 stagger by rank: rank r stands after r × `staggerMsMax` plus a random jitter below
   *  `staggerMsMin` (names kept from the spec's "20–80 ms"; see NOTES.md refinement 13). */
  readonly staggerMsMin: number;
  readonly staggerMsMax: number;
  /** A candidate that has not won within this (randomised) time gives up (R13). */
  readonly electionTimeoutMsMin: number;
  readonly electionTimeoutMsMax: number;
}

export const TIMING_DEFAULT: Timing = {
  tickMs: 10,
  heartbeatMs: 50,
  pauseThresholdMs: 200,
  roundTripMaxMs: 500,
  marginMs: 100,
  excludeMs: 1000,
  staggerMsMin: 20,
  staggerMsMax: 80,
  electionTimeoutMsMin: 1300,
  electionTimeoutMsMax: 1800,
};

/** θ + h + D_max + margin < T_exclude (R7/R8, §7.3); a Replica refuses to start otherwise. */
export function timingIsSafe(t: Timing): boolean {
  return t.pauseThresholdMs + t.heartbeatMs + t.roundTripMaxMs + t.marginMs < t.excludeMs;
}

/** R11: a member whose acks lag this long while it answers is asked to leave (fail-slow). */
export const SLOW_MEMBER_MS = 2000;
/** Entries per append message (R1: stay far below grpc-js's 4 MB receive limit). */
export const ENTRIES_PER_APPEND_MAX = 256;
/** Entries sent to a peer past its last ack before it acks more (a catching-up peer's window;
 *  far above what a caught-up backup has in flight at full load). */
export const ENTRIES_IN_FLIGHT_MAX = 16 * ENTRIES_PER_APPEND_MAX;
/** Proposals in one `propose-batch`: one batch fits one append message to a caught-up peer. */
export const PROPOSALS_PER_BATCH_MAX = ENTRIES_PER_APPEND_MAX;
/** Entries a voter ships to a fast-path candidate in one vote reply (R15, CE22). */
export const ENTRIES_PER_SHIP_MAX = 256;
/** Proposals waiting for commit at a primary; more are answered `busy`. */
export const PROPOSALS_PENDING_MAX = 10_000;
/** A joiner is added/refreshed once its matchIndex is within this many entries of the tail (R19). */
export const CATCHUP_LAG_MAX = 64;
/** R13 rank: logs closer than this many entries (same epoch) tie, and the lower node id goes first. */
export const RANK_LOG_SLACK = CATCHUP_LAG_MAX;
/** Applied entries beyond the snapshot before the core hints `compact`. */
export const SNAPSHOT_INTERVAL_ENTRIES = 10_000;
/** Minimum gap between two snapshot transfers to the same peer. */
export const SNAPSHOT_RESEND_MS = 500;
/** Outstanding probes remembered per peer (older ones are forgotten). */
export const PROBES_OUTSTANDING_MAX = 64;
/** A recovering node uses probe answers no older than this for R17/R18 decisions. */
export const RECOVERY_ANSWER_AGE_MS = 1000;
/** How long `recover-unclean` (R18's operator override) stays armed on a node. */
export const UNCLEAN_RECOVERY_MS = 60_000;
/** Members of a view (static membership M is small). */
export const MEMBERS_MAX = 7;
