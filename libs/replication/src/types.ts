// The vocabulary of the replication core: log entries, views, peer messages, the events a host
// feeds in and the actions it must execute in order. Everything here is plain JSON data.

export type NodeId = number;

/** A member of a view: identity is (nodeId, storageId); `session` marks the process lifetime. */
export interface Member {
  readonly nodeId: NodeId;
  readonly storageId: string;
  readonly session: string;
}

/** A view id is the (epoch, index) of its view or barrier entry; ordered epoch first. */
export interface ViewId {
  readonly epoch: number;
  readonly index: number;
}

export interface View {
  readonly id: ViewId;
  readonly members: readonly Member[];
}

export type EntryKind = "cmd" | "view" | "barrier";

/** One log entry. `ts` is log time (R1): monotonic, never the wall clock. */
export interface LogEntry {
  readonly index: number;
  readonly epoch: number;
  readonly ts: number;
  readonly kind: EntryKind;
  /** cmd only: the client's request id (dedup happens at apply time, R21). */
  readonly requestId?: string;
  /** cmd only: opaque to the core. */
  readonly payload?: unknown;
  /** view and barrier only: the full member list. */
  readonly members?: readonly Member[];
}

/** What a snapshot covers: the log prefix through `index`, and the view in force there. */
export interface SnapshotMeta {
  readonly index: number;
  readonly epoch: number;
  /** Log time of entry `index` (R1), so log time stays monotonic across compaction. */
  readonly ts: number;
  readonly view: View;
}

export type Role = "primary" | "backup" | "candidate" | "joining" | "recovering";

/** Carried by every peer message (R7). `status` and `epoch` are as of sending. */
export interface Header {
  readonly from: NodeId;
  readonly storageId: string;
  readonly incarnation: string;
  readonly session: string;
  readonly epoch: number;
  readonly viewId: ViewId;
  readonly status: Role;
}

/** A log position compared epoch first: a log's end, or how far a damaged log reaches (S4). */
export interface LogReach {
  readonly lastEpoch: number;
  readonly lastIndex: number;
}

export interface VoteRecord {
  readonly epoch: number;
  readonly votedFor: NodeId | null;
}

export type Body =
  | {
      readonly kind: "append";
      readonly prevIndex: number;
      readonly prevEpoch: number;
      readonly entries: readonly LogEntry[];
      readonly commit: number;
      /** Per-primary round number, echoed by the reply (R24 ReadIndex). */
      readonly round: number;
    }
  | {
      readonly kind: "append-reply";
      readonly success: boolean;
      /** The `round` of the append this answers (0 when not answering an append). */
      readonly round: number;
      /** success: prevIndex + entries.length of the accepted append (R2). */
      readonly matchIndex: number;
      /** failure: where the primary should back off to. */
      readonly hintIndex: number;
    }
  | {
      readonly kind: "install-snapshot";
      readonly snapshot: SnapshotMeta;
      readonly commit: number;
      /** Opaque state-machine snapshot, attached by the host (`send-snapshot`). */
      readonly data?: unknown;
    }
  | {
      readonly kind: "vote-request";
      readonly recovery: boolean;
      readonly lastIndex: number;
      readonly lastEpoch: number;
      readonly nonce: string;
    }
  | {
      readonly kind: "vote-reply";
      readonly candidateEpoch: number;
      readonly nonce: string;
      readonly granted: boolean;
      readonly reason: string;
      /** CE22: entries after the candidate's last index, shipped instead of a refusal. */
      readonly suffix?: readonly LogEntry[];
      readonly suffixPrevEpoch?: number;
    }
  | { readonly kind: "ping"; readonly nonce: string; readonly pauseEpoch: number }
  | {
      readonly kind: "pong";
      readonly nonce: string;
      readonly pauseEpoch: number;
      readonly lastIndex: number;
      readonly lastEpoch: number;
      readonly latestView: View;
      readonly vote: VoteRecord;
      readonly primaryId: NodeId | null;
      /** S4: how far the sender's damaged log reached (its epoch an upper bound): set while the
       * damage is on disk (`lastIndex` above is then its intact prefix) and after the repair
       * until the log covers it again (refinement 23). */
      readonly damagedReach?: LogReach;
      /** Refinement 22: set while the sender's state machine loads (it stands for election last). */
      readonly loading?: true;
    }
  | { readonly kind: "stepped-down"; readonly steppedEpoch: number }
  /** R11: the primary of `epoch` asks a fail-slow member of view `viewId` to leave. */
  | { readonly kind: "leave-request"; readonly leaveViewId: ViewId }
  /** R11: the member has taken a new session and is joining; it may now be removed. */
  | { readonly kind: "leave-ack"; readonly leaveViewId: ViewId };

export type Message = Header & Body;
export type MessageKind = Body["kind"];

// ---------------------------------------------------------------------------------------------
// Events (host → core). Every event carries the host's monotonic clock.

/**
 * How a probe's fresh connect ended: `connected` (a listener accepted; a SIGSTOPped process
 * still accepts, so it proves nothing but that the connect is no longer pending), `refused`
 * (DEAD), `timeout` or `local-failure` (never sent; proves nothing).
 */
export type ProbeOutcome = "connected" | "refused" | "timeout" | "local-failure";

/** One client command for the log, named by the request id its reply goes to. */
export interface Proposal {
  readonly requestId: string;
  readonly payload: unknown;
}

export type Event =
  | { readonly kind: "tick"; readonly nowMs: number }
  | { readonly kind: "message"; readonly nowMs: number; readonly msg: Message }
  | { readonly kind: "persisted"; readonly nowMs: number; readonly token: number }
  | {
      readonly kind: "probe-result";
      readonly nowMs: number;
      readonly peer: NodeId;
      readonly nonce: string;
      readonly outcome: ProbeOutcome;
    }
  | {
      readonly kind: "propose";
      readonly nowMs: number;
      readonly requestId: string;
      readonly payload: unknown;
    }
  /** Proposals that reached the host together: one log append and one append per peer for
   * all of them (group commit starts here), each answered as if proposed alone. */
  | {
      readonly kind: "propose-batch";
      readonly nowMs: number;
      readonly proposals: readonly Proposal[];
    }
  /** The host saw a stream to or from `peer` break (its process may have died): probe it now
   * rather than at the next heartbeat. Evidence still comes only from the probe (R7). */
  | {
      readonly kind: "peer-lost";
      readonly nowMs: number;
      readonly peer: NodeId;
      /** The kept connection to the peer's liveness port closed: probe even when a recent
       *  probe connected (that connect was to the process that just closed it). */
      readonly livenessClosed?: boolean;
    }
  | { readonly kind: "snapshot-ready"; readonly nowMs: number; readonly index: number }
  /** The host's state machine is loading (a snapshot restored at start or installed), or is
   * done: while it loads, a backup stands for election after every other member (NOTES.md
   * refinement 22), since as primary it could serve only once loaded. Liveness only. */
  | { readonly kind: "state-loading"; readonly nowMs: number; readonly loading: boolean }
  /** R24: a linearizable read; answered `read-ok {index}` once safe (serve state ≥ index). */
  | { readonly kind: "read"; readonly nowMs: number; readonly requestId: string }
  /** R18's operator override (`chat-cluster recover --unclean`): for a while, a recovery plan
   * leaves out the members of V* that do not answer (or answer with another storage) instead
   * of waiting for them. May lose acknowledged entries: they may be on the missing members. */
  | { readonly kind: "recover-unclean"; readonly nowMs: number };

// ---------------------------------------------------------------------------------------------
// Actions (core → host), executed strictly in order.

export type ReplyOutcome =
  | { readonly kind: "ok"; readonly index: number }
  | { readonly kind: "read-ok"; readonly index: number }
  | { readonly kind: "not-primary"; readonly hintNodeId: NodeId | null }
  | { readonly kind: "busy" };

export type Action =
  | {
      readonly kind: "persist-entries";
      readonly entries: readonly LogEntry[];
      readonly commitHint: number;
      readonly token: number;
    }
  | { readonly kind: "persist-truncate"; readonly afterIndex: number; readonly token: number }
  | {
      readonly kind: "persist-hard-state";
      readonly epoch: number;
      readonly votedFor: NodeId | null;
      /** S4 (refinement 23): when present, the damaged reach to keep (null: none). */
      readonly damagedReach?: LogReach | null;
      readonly token: number;
    }
  | {
      readonly kind: "install-snapshot";
      readonly snapshot: SnapshotMeta;
      readonly data: unknown;
      /** Keep log entries after snapshot.index (the log held (index, epoch)); else drop all. */
      readonly retainLog: boolean;
      readonly token: number;
    }
  | { readonly kind: "send"; readonly to: NodeId; readonly msg: Message }
  | { readonly kind: "send-snapshot"; readonly to: NodeId; readonly msg: Message }
  | { readonly kind: "probe"; readonly peer: NodeId; readonly nonce: string }
  | { readonly kind: "apply"; readonly entries: readonly LogEntry[]; readonly throughIndex: number }
  | { readonly kind: "reply"; readonly requestId: string; readonly outcome: ReplyOutcome }
  | {
      readonly kind: "role";
      readonly role: Role;
      readonly epoch: number;
      readonly primaryId: NodeId | null;
      readonly view: View;
      readonly reason: string;
    }
  /** Hint: snapshot the state machine now (it is at `throughIndex`), durably, then report
   * `snapshot-ready`; the host stores `snapshot` as the snapshot's metadata. */
  | { readonly kind: "compact"; readonly throughIndex: number; readonly snapshot: SnapshotMeta };

/** What the node loaded from disk. */
export interface Durable {
  readonly storageId: string;
  readonly epoch: number;
  readonly votedFor: NodeId | null;
  readonly snapshot?: SnapshotMeta;
  readonly entries: readonly LogEntry[];
  readonly commitHint: number;
  /** S4: the storage found damage before its last intact batch marker; `entries` is the
   * intact prefix (they end right before `firstDamagedIndex`). */
  readonly storageFault?: StorageFault;
  /** S4 (refinement 23): the reach of a damaged log that was repaired (its damage is gone
   * from disk) before the log covered it again, as persisted with the hard state. */
  readonly damagedReach?: LogReach;
}

/** S4 as the storage reports it (libs/storage `Corruption`). */
export interface StorageFault {
  /** The first index not trusted. */
  readonly firstDamagedIndex: number;
  /** The highest index the damaged log reaches (an intact marker after the damage). */
  readonly lastIndexReached: number;
  /** The epoch of that last record, if the storage could read it; else the core takes its
   * durable epoch, an upper bound for every entry on disk. */
  readonly lastEpochReached?: number;
}

export type ExclusionMode = "timed" | "hard";

export function assertNever(x: never): never {
  throw new Error(`unexpected: ${JSON.stringify(x)}`);
}

export function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`invariant broken: ${what}`);
}
