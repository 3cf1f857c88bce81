// The replication core: one replica as a pure state machine (etcd-io/raft style). `step(event)`
// is the only entry point; it runs the self-pause guard (R8), dispatches, then lets the current
// role make progress, asserts invariants and returns the actions the host must run in order.
// Rules are cited as Rn from REPLICATION.md; refinements are listed in NOTES.md.

import {
  CATCHUP_LAG_MAX,
  ENTRIES_IN_FLIGHT_MAX,
  ENTRIES_PER_APPEND_MAX,
  ENTRIES_PER_SHIP_MAX,
  MEMBERS_MAX,
  PROPOSALS_PENDING_MAX,
  RECOVERY_ANSWER_AGE_MS,
  SNAPSHOT_INTERVAL_ENTRIES,
  RANK_LOG_SLACK,
  SLOW_MEMBER_MS,
  SNAPSHOT_RESEND_MS,
  TIMING_DEFAULT,
  type Timing,
  timingIsSafe,
  UNCLEAN_RECOVERY_MS,
} from "./limits.js";
import { NEVER, type PeerState, Peers } from "./evidence.js";
import { compactionDue, compactionPhase } from "./compaction.js";
import { bootstrapView, compareViewId, findMember, Log, sameStorage } from "./log.js";
import { compareLogs, type LogInfo, planRecovery } from "./recovery.js";
import {
  type Action,
  assert,
  assertNever,
  type Body,
  type Durable,
  type Event,
  type ExclusionMode,
  type Header,
  type Proposal,
  type LogEntry,
  type Member,
  type Message,
  type NodeId,
  type ProbeOutcome,
  type LogReach,
  type ReplyOutcome,
  type Role,
  type SnapshotMeta,
  type View,
} from "./types.js";

export interface ReplicaConfig {
  readonly nodeId: NodeId;
  /** The static member set M. */
  readonly members: readonly { readonly nodeId: NodeId }[];
  readonly timing?: Partial<Timing>;
  readonly exclusion: ExclusionMode;
  /** Seeded PRNG in [0, 1): sessions, incarnation, stagger and election jitter. */
  readonly random: () => number;
  readonly snapshotIntervalEntries?: number;
  /** Entries sent to a peer past its last ack (default `ENTRIES_IN_FLIGHT_MAX`; the simulator
   *  also runs small windows, so that their edges meet loss and reordering). */
  readonly entriesInFlightMax?: number;
}

interface Candidacy {
  readonly epoch: number;
  readonly recovery: boolean;
  readonly startMs: number;
  readonly deadlineMs: number;
  readonly prevRole: Role;
  readonly oldPrimary: NodeId | null;
  readonly oldPrimaryEpoch: number;
  readonly oldPrimaryIsCandidate: boolean;
  readonly followSinceMs: number;
  requested: boolean;
  readonly nonces: Map<NodeId, string>;
  readonly granted: Map<NodeId, { readonly storageId: string; readonly session: string }>;
  /** R18 override: members of V* this recovery election goes without (no vote, not listed). */
  readonly dropped: ReadonlySet<NodeId>;
}

interface Progress {
  storageId: string;
  matchIndex: number;
  matchKnown: boolean;
  nextIndex: number;
  snapshotSentMs: number;
  /** Since when matchIndex has been below the primary's last index (R11). */
  behindSinceMs: number | null;
  leaveAskedMs: number;
  /** Highest append round this peer answered successfully in this epoch (R24). */
  ackedRound: number;
  /** The incarnation whose successful acks set matchIndex (S4: a repaired restart holds less). */
  incarnation: string;
  /** When this peer last answered an append successfully (a heartbeat resends only after a
   *  silence: while acks flow, what is in flight arrives). */
  ackedAtMs: number;
}

interface PrimaryState {
  readonly barrierIndex: number;
  readonly progress: Map<NodeId, Progress>;
  readonly pending: Map<string, number>;
  /** When this primary appended the listing of each member's current session. */
  readonly listedAtMs: Map<NodeId, number>;
  /** Append round counter and reads waiting for a round that starts after them (R24). */
  round: number;
  readonly reads: { readonly requestId: string; readonly index: number; readonly round: number }[];
}

interface PendingPersist {
  readonly token: number;
  readonly lastIndexAfter: number | null;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type PersistBody = DistributiveOmit<
  Extract<Action, { kind: "persist-entries" | "persist-truncate" | "persist-hard-state" }>,
  "token"
>;

export class Replica {
  readonly nodeId: NodeId;
  readonly storageId: string;
  readonly incarnation: string;
  private readonly peerIds: readonly NodeId[];
  private readonly t: Timing;
  private readonly exclusion: ExclusionMode;
  private readonly random: () => number;
  private readonly snapshotInterval: number;
  private readonly inFlightMax: number;
  /** Where in each snapshot interval this node compacts (compactionDue). */
  private readonly compactPhase: number;

  private session: string;
  private epoch: number;
  private votedFor: NodeId | null;
  private readonly log: Log;
  private role: Role = "recovering";
  private primaryId: NodeId | null = null;
  private primaryEpoch = 0;
  private commitIndex: number;
  private appliedIndex: number;

  private started = false;
  private nowMs = 0;
  private lastObsMs = 0;
  private pauseEpoch = 0;
  private pauseChangedAtMs = 0;
  private maxEpochSeen: number;
  private lastEntryLocalMs = 0;
  private out: Action[] = [];

  private tokenNext = 1;
  private tokenIssuedLast = 0;
  private tokenDoneLast = 0;
  private durableLastIndex: number;
  private readonly pendingPersist: PendingPersist[] = [];
  private readonly afterPersist: { token: number; build: () => void }[] = [];

  private readonly peers: Peers;
  private nextHeartbeatMs = 0;

  private followSinceMs = 0;
  private primaryIsCandidate = false;
  private electionDueMs: number | null = null;
  private cand: Candidacy | null = null;
  private prim: PrimaryState | null = null;
  private compactPending: number | null = null;
  private waitReason = "starting";
  /** Until then, R18 plans go without unanswering V* members (the operator's override). */
  private uncleanUntilMs = NEVER;
  /** The host's state machine is loading (`state-loading`): stand for election last. */
  private stateLoading = false;
  /** S4: how far the damaged log reached; kept past the repair until the log covers it. */
  private damagedReach: LogReach | null = null;
  /** S4: the damaged part is still on disk (the first log write drops it: the repair). Once
   * it is gone, `damagedReach` stays until the durable log covers it (refinement 23). */
  private faultOnDisk = false;
  /** The hard state holds `damagedReach` (refinement 23). */
  private reachPersisted = false;
  /** S4: the token of the write that drops the damaged part (truncation or snapshot install). */
  private repairToken: number | null = null;

  constructor(config: ReplicaConfig, durable: Durable) {
    this.t = { ...TIMING_DEFAULT, ...config.timing };
    assert(timingIsSafe(this.t), "θ + h + D_max + margin < T_exclude");
    const ids = config.members.map((m) => m.nodeId);
    assert(ids.length <= MEMBERS_MAX && ids.includes(config.nodeId), "members include self");
    assert(new Set(ids).size === ids.length, "members unique");
    this.nodeId = config.nodeId;
    this.peerIds = ids.filter((id) => id !== config.nodeId).sort((a, b) => a - b);
    this.exclusion = config.exclusion;
    this.random = config.random;
    this.snapshotInterval = config.snapshotIntervalEntries ?? SNAPSHOT_INTERVAL_ENTRIES;
    assert(Number.isSafeInteger(this.snapshotInterval) && this.snapshotInterval >= 1, "snapshot interval ≥ 1");
    this.inFlightMax = config.entriesInFlightMax ?? ENTRIES_IN_FLIGHT_MAX;
    assert(Number.isSafeInteger(this.inFlightMax) && this.inFlightMax >= 1, "in-flight window ≥ 1");
    this.compactPhase = compactionPhase(ids, config.nodeId, this.snapshotInterval);
    this.storageId = durable.storageId;
    this.incarnation = this.randomId("i");
    this.session = this.randomId("s");
    this.epoch = durable.epoch;
    this.votedFor = durable.votedFor;
    const base = durable.snapshot ?? { index: 0, epoch: 0, ts: 0, view: bootstrapView(ids) };
    this.log = new Log(base, durable.entries);
    assert(this.log.lastEpoch() <= this.epoch, "durable epoch covers the log");
    // R2: after a restart the known commit index is min(commit hint, lastIndex).
    this.commitIndex = Math.max(base.index, Math.min(durable.commitHint, this.log.lastIndex()));
    this.appliedIndex = base.index;
    this.durableLastIndex = this.log.lastIndex();
    this.maxEpochSeen = this.epoch;
    this.peers = new Peers(this.peerIds, this.incarnation, this.t, this.exclusion);
    const fault = durable.storageFault;
    if (fault !== undefined) {
      // S4: trust the log up to the first damaged record; the damaged log reaches at least
      // that record, in an epoch no newer than the durable one.
      this.damagedReach = {
        lastEpoch: fault.lastEpochReached ?? this.epoch,
        lastIndex: Math.max(
          fault.lastIndexReached,
          fault.firstDamagedIndex,
          this.log.lastIndex() + 1
        ),
      };
      this.faultOnDisk = true;
    }
    // Refinement 23: a repair from an earlier run whose reach the log does not cover yet.
    const kept = durable.damagedReach;
    if (kept !== undefined && (this.damagedReach === null || compareLogs(kept, this.damagedReach) >= 0)) {
      this.damagedReach = kept;
      this.reachPersisted = true;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Read-only views for hosts, tests and the simulator's checkers.

  status(): {
    role: Role;
    epoch: number;
    votedFor: NodeId | null;
    primaryId: NodeId | null;
    commitIndex: number;
    appliedIndex: number;
    lastIndex: number;
    lastEpoch: number;
    view: View;
    session: string;
    pauseEpoch: number;
    waitReason: string;
    firstIndex: number;
    /** S4: the damaged part of the log is still on disk (until the repair write is durable). */
    storageFaulted: boolean;
  } {
    return {
      role: this.role,
      epoch: this.epoch,
      votedFor: this.votedFor,
      primaryId: this.primaryId,
      commitIndex: this.commitIndex,
      appliedIndex: this.appliedIndex,
      lastIndex: this.log.lastIndex(),
      lastEpoch: this.log.lastEpoch(),
      view: this.log.latestView(),
      session: this.session,
      pauseEpoch: this.pauseEpoch,
      waitReason: this.waitReason,
      firstIndex: this.log.firstIndex(),
      storageFaulted: this.faultOnDisk,
    };
  }
  /** Whether this node follows a primary whose latest pong says it has its state (refinement
   *  22): the host then loads its own at full speed, since it may be elected next. */
  followsLoadedPrimary(): boolean {
    if ((this.role !== "backup" && this.role !== "joining") || this.primaryId === null) return false;
    return this.primaryId !== this.nodeId && this.peer(this.primaryId).answer?.loading === false;
  }

  entryAt(i: number): LogEntry | undefined {
    return this.log.entry(i);
  }
  termAt(i: number): number | undefined {
    return this.log.term(i);
  }
  viewAt(i: number): View {
    return this.log.viewAt(i);
  }
  entries(from: number, to: number): LogEntry[] {
    return this.log.slice(from, to);
  }

  // -------------------------------------------------------------------------------------------
  // The single entry point.

  step(ev: Event): Action[] {
    this.out = [];
    assert(!this.started || ev.nowMs >= this.nowMs, "monotonic clock");
    this.nowMs = ev.nowMs;
    if (!this.started) this.start();
    this.guard();
    switch (ev.kind) {
      case "tick":
        this.onTick();
        break;
      case "message":
        this.onMessage(ev.msg);
        break;
      case "persisted":
        this.onPersisted(ev.token);
        break;
      case "probe-result":
        this.onProbeResult(ev.nonce, ev.outcome);
        break;
      case "peer-lost":
        // A broken stream is a hint to probe now, unless a recent probe already covers it.
        if (
          this.peers.has(ev.peer) &&
          ev.peer !== this.nodeId &&
          (ev.livenessClosed === true || !this.peers.recentProbeCovers(ev.peer, this.nowMs))
        ) {
          this.probe(ev.peer);
        }
        break;
      case "propose":
        this.onPropose([ev]);
        break;
      case "propose-batch":
        this.onPropose(ev.proposals);
        break;
      case "read":
        this.onRead(ev.requestId);
        break;
      case "snapshot-ready":
        this.onSnapshotReady(ev.index);
        break;
      case "recover-unclean":
        this.uncleanUntilMs = this.nowMs + UNCLEAN_RECOVERY_MS;
        break;
      case "state-loading":
        this.stateLoading = ev.loading;
        break;
      default:
        assertNever(ev);
    }
    this.progressRole();
    this.applyCommitted();
    this.assertInvariants();
    const out = this.out;
    this.out = [];
    return out;
  }

  private start(): void {
    this.started = true;
    // Refinement 23: a kept reach that the log already covers (a crash before its clear was
    // durable) is cleared now; else R18 would wait on it with nothing left to write.
    this.forgetCoveredReach();
    this.lastObsMs = this.nowMs;
    this.pauseChangedAtMs = this.nowMs;
    this.lastEntryLocalMs = this.nowMs;
    // R16/R20: a storage-faulted node starts recovering like any restart, and stays so until a
    // committed view lists its new session (it repairs by following a primary, S4).
    this.setRole("recovering", this.faultOnDisk ? "start, storage-faulted (S4)" : "start");
    // R7: a restarted node announces that it no longer acts in its durable epoch.
    for (const id of this.peerIds)
      this.send(id, { kind: "stepped-down", steppedEpoch: this.epoch });
  }

  /** R8: a gap over θ since the last observation means this process was paused. */
  private guard(): void {
    const gapMs = this.nowMs - this.lastObsMs;
    this.lastObsMs = this.nowMs;
    if (gapMs <= this.t.pauseThresholdMs) return;
    this.pauseEpoch++;
    this.pauseChangedAtMs = this.nowMs;
    this.becomeRecovering(`self-pause ${gapMs}ms`);
  }

  // -------------------------------------------------------------------------------------------
  // Transitions.

  private setRole(role: Role, reason: string): void {
    this.role = role;
    this.out.push({
      kind: "role",
      role,
      epoch: this.epoch,
      primaryId: this.primaryId,
      view: this.log.latestView(),
      reason,
    });
  }

  /** R16: recovering after a restart, a self-pause or learning of a newer epoch/view. */
  private becomeRecovering(reason: string): void {
    if (this.role === "primary") {
      for (const id of this.peerIds) {
        this.send(id, { kind: "stepped-down", steppedEpoch: this.primaryEpoch });
      }
      for (const requestId of this.prim!.pending.keys()) {
        this.reply(requestId, { kind: "not-primary", hintNodeId: null });
      }
      for (const r of this.prim!.reads)
        this.reply(r.requestId, { kind: "not-primary", hintNodeId: null });
    }
    this.prim = null;
    this.cand = null;
    this.electionDueMs = null;
    this.primaryId = null;
    this.primaryIsCandidate = false;
    this.session = this.randomId("s");
    this.setRole("recovering", reason);
  }

  /** R17(a)/R19: follow a primary of epoch ≥ mine; current only once a committed view lists us. */
  private becomeJoining(primary: NodeId, epoch: number, reason: string): void {
    assert(this.role === "recovering" || this.role === "joining", "join from recovering");
    this.primaryId = primary;
    this.primaryEpoch = epoch;
    this.followSinceMs = this.nowMs;
    this.peer(primary).primaryContactMs = this.nowMs;
    this.setRole("joining", reason);
  }

  private becomeBackup(reason: string): void {
    assert(this.primaryId !== null && this.listedCurrent(), "a backup is current");
    this.electionDueMs = null;
    this.setRole("backup", reason);
  }

  /** R13 (fast path, from backup) or R18 (recovery, from recovering). */
  private becomeCandidate(recovery: boolean, epoch: number, dropped: readonly NodeId[] = []): void {
    assert(epoch > this.epoch && epoch > this.log.lastEpoch(), "candidate epoch is new");
    this.epoch = epoch;
    this.maxEpochSeen = Math.max(this.maxEpochSeen, epoch);
    this.votedFor = this.nodeId;
    this.persist({ kind: "persist-hard-state", epoch, votedFor: this.nodeId }, null);
    const span = this.t.electionTimeoutMsMax - this.t.electionTimeoutMsMin;
    const cand: Candidacy = {
      epoch,
      recovery,
      startMs: this.nowMs,
      deadlineMs: this.nowMs + this.t.electionTimeoutMsMin + Math.floor(this.random() * span),
      prevRole: this.role,
      oldPrimary: recovery ? null : this.primaryId,
      oldPrimaryEpoch: this.primaryEpoch,
      oldPrimaryIsCandidate: this.primaryIsCandidate,
      followSinceMs: this.followSinceMs,
      requested: false,
      nonces: new Map(),
      granted: new Map(),
      dropped: new Set(dropped),
    };
    this.cand = cand;
    this.electionDueMs = null;
    this.setRole("candidate", recovery ? "recovery election" : "fast-path election");
    // R14 counts only evidence observed after the candidacy began: probe every peer now
    // rather than at the next heartbeat.
    if (!recovery) for (const id of this.peerIds) this.probe(id);
    // R13: the vote for self is durable before any request leaves.
    this.afterDurable(() => {
      if (this.cand !== cand) return;
      cand.requested = true;
      for (const m of this.log.latestView().members) {
        if (m.nodeId !== this.nodeId && !cand.dropped.has(m.nodeId)) this.requestVote(m.nodeId);
      }
    });
  }

  /** Give up a candidacy: stay in the persisted epoch, in the previous role (R13). */
  private abandonCandidacy(reason: string): void {
    const cand = this.cand!;
    this.cand = null;
    if (cand.prevRole === "backup" && this.listedCurrent()) {
      this.setRole("backup", reason);
    } else {
      this.primaryId = null;
      this.setRole("recovering", reason);
    }
  }

  /** R14/R18 win: append the barrier listing self and every voter with the session it voted with. */
  private becomePrimary(members: Member[]): void {
    const cand = this.cand!;
    assert(this.votedFor === this.nodeId && this.epoch === cand.epoch, "win own epoch");
    assert(this.log.lastEpoch() < this.epoch, "barrier is the first entry of its epoch");
    this.cand = null;
    this.primaryId = this.nodeId;
    this.primaryEpoch = this.epoch;
    members.sort((a, b) => a.nodeId - b.nodeId);
    const barrierIndex = this.log.lastIndex() + 1;
    this.prim = {
      barrierIndex,
      progress: new Map(),
      pending: new Map(),
      listedAtMs: new Map(),
      round: 0,
      reads: [],
    };
    this.appendLocal([{ kind: "barrier", members }]);
    for (const m of members) this.prim.listedAtMs.set(m.nodeId, this.nowMs);
    this.setRole("primary", cand.recovery ? "won recovery election" : "won fast path");
    for (const id of this.peerIds) this.sendAppend(id, true);
  }

  // -------------------------------------------------------------------------------------------
  // Event handlers.

  private onTick(): void {
    if (this.nowMs < this.nextHeartbeatMs) return;
    this.nextHeartbeatMs = this.nowMs + this.t.heartbeatMs;
    this.probeAll();
    if (this.role === "primary") this.heartbeat();
    if (this.cand?.requested) {
      for (const m of this.log.latestView().members) {
        if (m.nodeId !== this.nodeId && !this.cand.granted.has(m.nodeId))
          this.requestVote(m.nodeId);
      }
    }
  }

  private onPersisted(token: number): void {
    const done = this.pendingPersist.shift();
    assert(done !== undefined && done.token === token, `persisted tokens in order (#${token})`);
    this.tokenDoneLast = token;
    if (done.lastIndexAfter !== null) this.durableLastIndex = done.lastIndexAfter;
    if (this.repairToken !== null && token >= this.repairToken) {
      // S4: the damaged part is gone from disk; the log now holds only what it reports.
      this.faultOnDisk = false;
      this.repairToken = null;
    }
    this.forgetCoveredReach();
    while (this.afterPersist.length > 0 && this.afterPersist[0]!.token <= token) {
      this.afterPersist.shift()!.build();
    }
  }

  private onProbeResult(nonce: string, outcome: ProbeOutcome): void {
    this.peers.probeResult(nonce, outcome);
  }

  /** Appends the proposals as one batch (one persist, one append per peer). A request id
   * already pending (a retry racing its first attempt) is not appended twice. */
  private onPropose(proposals: readonly Proposal[]): void {
    if (this.role !== "primary") {
      for (const p of proposals)
        this.reply(p.requestId, { kind: "not-primary", hintNodeId: this.primaryId });
      return;
    }
    const prim = this.prim!;
    const parts: Omit<LogEntry, "index" | "epoch" | "ts">[] = [];
    // Bounded by the batch the host hands in.
    for (const { requestId, payload } of proposals) {
      if (prim.pending.has(requestId)) continue;
      if (prim.pending.size >= PROPOSALS_PENDING_MAX) {
        this.reply(requestId, { kind: "busy" });
        continue;
      }
      prim.pending.set(requestId, this.log.lastIndex() + parts.length + 1);
      parts.push({ kind: "cmd", requestId, payload });
    }
    if (parts.length === 0) return;
    this.appendLocal(parts);
    for (const id of this.peerIds) this.sendAppend(id, false);
  }

  /** R24 ReadIndex: remember the commit index, start a round, answer once all of V answered it. */
  private onRead(requestId: string): void {
    if (this.role !== "primary") {
      this.reply(requestId, { kind: "not-primary", hintNodeId: this.primaryId });
      return;
    }
    const prim = this.prim!;
    if (prim.reads.length >= PROPOSALS_PENDING_MAX) {
      this.reply(requestId, { kind: "busy" });
      return;
    }
    prim.reads.push({ requestId, index: this.commitIndex, round: prim.round + 1 });
    this.heartbeat();
  }

  /** A heartbeat round: every peer gets an append (resending what it has not acknowledged). */
  private heartbeat(): void {
    this.prim!.round++;
    for (const id of this.peerIds) this.sendAppend(id, true);
  }

  /** Reads whose round every other member of the view answered, after the barrier committed. */
  private answerReads(): void {
    const prim = this.prim!;
    if (prim.reads.length === 0 || this.commitIndex < prim.barrierIndex) return;
    let confirmed = prim.round;
    for (const m of this.log.latestView().members) {
      if (m.nodeId === this.nodeId) continue;
      const pr = prim.progress.get(m.nodeId);
      confirmed =
        pr === undefined || !sameStorage(m, pr.storageId) ? 0 : Math.min(confirmed, pr.ackedRound);
    }
    while (prim.reads.length > 0 && prim.reads[0]!.round <= confirmed) {
      const r = prim.reads.shift()!;
      this.reply(r.requestId, { kind: "read-ok", index: Math.max(r.index, prim.barrierIndex) });
    }
  }

  private onSnapshotReady(index: number): void {
    this.compactPending = null;
    if (index <= this.log.snapshot().index || index > this.log.lastIndex()) return;
    assert(index <= this.appliedIndex, "snapshot covers applied entries only");
    this.log.resetTo(this.snapshotMetaAt(index), true);
  }

  private onMessage(msg: Message): void {
    if (msg.from === this.nodeId || !this.peers.has(msg.from)) return;
    this.notePeer(msg);
    switch (msg.kind) {
      case "append":
        this.onAppend(msg);
        break;
      case "append-reply":
        this.onAppendReply(msg);
        break;
      case "install-snapshot":
        this.onInstallSnapshot(msg);
        break;
      case "vote-request":
        this.onVoteRequest(msg);
        break;
      case "vote-reply":
        this.onVoteReply(msg);
        break;
      case "ping":
        this.onPing(msg);
        break;
      case "pong":
        this.onPong(msg);
        break;
      case "stepped-down":
        break;
      case "leave-request":
        this.onLeaveRequest(msg);
        break;
      case "leave-ack":
        this.onLeaveAck(msg);
        break;
      default:
        assertNever(msg);
    }
  }

  /** R7 bookkeeping common to every message: identity, incarnation, hard evidence, epochs. */
  private notePeer(msg: Message): void {
    this.maxEpochSeen = Math.max(this.maxEpochSeen, msg.epoch);
    this.peers.note(msg, this.nowMs, this.reportsPrimary(msg));
    // R16 / inv. 16: a primary never acts after seeing a higher epoch; a follower that sees a
    // primary of a newer epoch is no longer synchronized.
    if (msg.epoch > this.epoch) {
      if (this.role === "primary") this.becomeRecovering(`saw e${msg.epoch} from n${msg.from}`);
      else if (msg.status === "primary" && (this.role === "backup" || this.role === "candidate")) {
        this.becomeRecovering(`n${msg.from} is primary of e${msg.epoch}`);
      }
    }
  }

  private reportsPrimary(msg: Header): boolean {
    return (
      msg.status === "primary" && msg.from === this.primaryId && msg.epoch === this.primaryEpoch
    );
  }

  private onPing(msg: Message & { kind: "ping" }): void {
    this.send(msg.from, {
      kind: "pong",
      nonce: msg.nonce,
      pauseEpoch: msg.pauseEpoch,
      lastIndex: this.log.lastIndex(),
      lastEpoch: this.log.lastEpoch(),
      latestView: this.log.latestView(),
      vote: { epoch: this.epoch, votedFor: this.votedFor },
      primaryId: this.primaryId,
      ...(this.damagedReach !== null ? { damagedReach: this.damagedReach } : {}),
      ...(this.stateLoading ? { loading: true as const } : {}),
    });
  }

  /** R7 fresh replies: echo a probe sent after our latest pause; count once, at send time. */
  private onPong(msg: Message & { kind: "pong" }): void {
    this.peers.pong(msg, this.pauseEpoch, this.reportsPrimary(msg));
  }

  // -------------------------------------------------------------------------------------------
  // R2: append acceptance (backups, joiners, voters).

  /** Decide whether to follow `from` in epoch `e` (≥ mine), changing role if needed. */
  private acceptsFrom(from: NodeId, e: number): boolean {
    if (this.role === "primary") {
      assert(e > this.epoch, `two primaries in e${e}`);
      this.becomeRecovering(`n${from} is primary of e${e}`);
    }
    if (this.role === "candidate") {
      // Another node may win my epoch only through R18 with a V* that does not include me (two
      // recovery elections are separated by the votes of V*, not by epoch numbers; seed 7572).
      this.abandonCandidacy(`n${from} is primary of e${e}`);
    }
    if (this.role === "backup") {
      if (from === this.primaryId && e === this.primaryEpoch) return true;
      if (this.votedFor === from && e === this.epoch) {
        this.primaryId = from;
        this.primaryEpoch = e;
        return true;
      }
      this.becomeRecovering(`n${from} is primary of e${e}`);
    }
    if (this.role === "joining") {
      if (from !== this.primaryId || e !== this.primaryEpoch) {
        this.primaryId = from;
        this.primaryEpoch = e;
        this.followSinceMs = this.nowMs;
      }
      return true;
    }
    assert(this.role === "recovering", "recovering");
    this.becomeJoining(from, e, `following n${from} in e${e}`);
    return true;
  }

  /** Adopt a higher epoch durably before acting in it (R2). */
  private adoptEpoch(e: number): void {
    if (e <= this.epoch) return;
    this.epoch = e;
    this.votedFor = null;
    this.persist({ kind: "persist-hard-state", epoch: e, votedFor: null }, null);
  }

  private onAppend(msg: Message & { kind: "append" }): void {
    if (msg.epoch < this.epoch) {
      this.send(msg.from, {
        kind: "append-reply",
        success: false,
        matchIndex: 0,
        hintIndex: 0,
        round: 0,
      });
      return;
    }
    if (!this.acceptsFrom(msg.from, msg.epoch)) return;
    this.adoptEpoch(msg.epoch);
    this.primaryIsCandidate = false;
    this.peer(msg.from).primaryContactMs = this.nowMs;
    const reply = (body: Body): void => this.send(msg.from, body);
    const base = this.log.snapshot().index;
    if (msg.prevIndex > this.log.lastIndex()) {
      reply({
        kind: "append-reply",
        success: false,
        matchIndex: 0,
        hintIndex: this.log.lastIndex() + 1,
        round: 0,
      });
      return;
    }
    if (msg.prevIndex >= base && this.log.term(msg.prevIndex) !== msg.prevEpoch) {
      reply({
        kind: "append-reply",
        success: false,
        matchIndex: 0,
        hintIndex: this.conflictHint(msg.prevIndex),
        round: 0,
      });
      return;
    }
    this.acceptEntries(msg.entries.filter((e) => e.index > base));
    const matchIndex = msg.prevIndex + msg.entries.length;
    this.commitIndex = Math.max(this.commitIndex, Math.min(msg.commit, matchIndex));
    this.sendAfterDurable(msg.from, {
      kind: "append-reply",
      success: true,
      matchIndex,
      hintIndex: 0,
      round: msg.round,
    });
    this.checkCurrency(msg.from);
  }

  /** Back off past the whole conflicting epoch, never below the commit point. */
  private conflictHint(prevIndex: number): number {
    const t = this.log.term(prevIndex);
    let k = prevIndex;
    while (k - 1 > this.commitIndex && this.log.term(k - 1) === t) k--;
    return Math.max(k, this.commitIndex + 1);
  }

  /** R2 log matching: skip duplicates, truncate at the first differing epoch, append the rest. */
  private acceptEntries(entries: readonly LogEntry[]): void {
    let k = 0;
    while (k < entries.length) {
      const e = entries[k]!;
      if (e.index > this.log.lastIndex()) break;
      if (this.log.term(e.index) !== e.epoch) {
        assert(
          e.index > this.commitIndex,
          `truncate at ${e.index} above commit ${this.commitIndex}`
        );
        this.log.truncateAfter(e.index - 1);
        this.persist({ kind: "persist-truncate", afterIndex: e.index - 1 }, this.log.lastIndex());
        break;
      }
      k++;
    }
    const fresh = entries.slice(k);
    if (fresh.length === 0) return;
    for (const e of fresh) assert(e.epoch <= this.epoch, "entry epoch ≤ durable epoch");
    this.log.append(fresh);
    this.lastEntryLocalMs = this.nowMs;
    this.persist(
      { kind: "persist-entries", entries: fresh, commitHint: this.commitIndex },
      this.log.lastIndex()
    );
  }

  /** Currency follows the log (R19, A19): demote when dropped, promote once listed+committed. */
  private checkCurrency(primary: NodeId): void {
    const current = this.listedCurrent();
    if (this.role === "backup" && !current) {
      this.becomeRecovering("a view omits my session");
      this.becomeJoining(primary, this.epoch, "rejoin");
    } else if (this.role === "joining" && current) {
      this.becomeBackup("listed in a committed view");
    }
  }

  private onInstallSnapshot(msg: Message & { kind: "install-snapshot" }): void {
    if (msg.epoch < this.epoch) {
      this.send(msg.from, {
        kind: "append-reply",
        success: false,
        matchIndex: 0,
        hintIndex: 0,
        round: 0,
      });
      return;
    }
    if (!this.acceptsFrom(msg.from, msg.epoch)) return;
    this.adoptEpoch(msg.epoch);
    this.peer(msg.from).primaryContactMs = this.nowMs;
    const s = msg.snapshot;
    if (s.index > this.commitIndex && s.index > this.log.snapshot().index) {
      // S4: an install on a faulted log restarts it (the host resets a faulted log anyway).
      if (this.faultOnDisk) this.keepReachDurably();
      const retainLog = !this.faultOnDisk && this.log.term(s.index) === s.epoch;
      this.log.resetTo(s, retainLog);
      this.commitIndex = s.index;
      this.appliedIndex = s.index;
      this.compactPending = null;
      const token = this.issueToken(this.log.lastIndex());
      this.out.push({ kind: "install-snapshot", snapshot: s, data: msg.data, retainLog, token });
      if (this.faultOnDisk) this.repairToken ??= token;
    }
    this.commitIndex = Math.max(this.commitIndex, Math.min(msg.commit, s.index));
    const matchIndex = s.index;
    this.sendAfterDurable(msg.from, {
      kind: "append-reply",
      success: true,
      matchIndex,
      hintIndex: 0,
      round: 0,
    });
    this.checkCurrency(msg.from);
  }

  // -------------------------------------------------------------------------------------------
  // Primary: replication, commit, client acks, view changes.

  private appendLocal(parts: readonly Omit<LogEntry, "index" | "epoch" | "ts">[]): void {
    const entries: LogEntry[] = [];
    const ts = this.log.lastTs() + (this.nowMs - this.lastEntryLocalMs);
    let index = this.log.lastIndex();
    // Position first: the host stores the entry as it serialises it (`{"index":…,"epoch":…`).
    for (const p of parts) entries.push({ index: ++index, epoch: this.epoch, ts, ...p });
    this.log.append(entries);
    this.lastEntryLocalMs = this.nowMs;
    this.persist(
      { kind: "persist-entries", entries, commitHint: this.commitIndex },
      this.log.lastIndex()
    );
  }

  private progressOf(id: NodeId, storageId: string | null): Progress {
    const prim = this.prim!;
    let pr = prim.progress.get(id);
    if (pr === undefined || (storageId !== null && pr.storageId !== storageId)) {
      pr = {
        storageId: storageId ?? "",
        matchIndex: 0,
        matchKnown: false,
        nextIndex: prim.barrierIndex,
        snapshotSentMs: NEVER,
        behindSinceMs: null,
        leaveAskedMs: NEVER,
        ackedRound: 0,
        incarnation: "",
        ackedAtMs: NEVER,
      };
      prim.progress.set(id, pr);
    }
    return pr;
  }

  /**
   * Send the next batch, at most `inFlightMax` past what the peer acknowledged (the
   * next goes when an ack comes back). A heartbeat always sends (it carries the round, R24);
   * it resends everything unacknowledged only when the peer has not acked for a heartbeat
   * interval: messages to a peer travel on one ordered stream, so while acks flow, what is in
   * flight arrives, and resending it would make a catching-up peer receive (and decode) the
   * same entries many times over while the tail runs away from it.
   */
  private sendAppend(to: NodeId, heartbeat: boolean): void {
    const pr = this.progressOf(to, null);
    if (heartbeat && pr.matchKnown && this.nowMs - pr.ackedAtMs >= this.t.heartbeatMs) pr.nextIndex = pr.matchIndex + 1;
    // The last index the window lets us send (unbounded until the peer's position is known).
    const windowEnd = pr.matchKnown ? pr.matchIndex + this.inFlightMax : Infinity;
    if (!heartbeat && (pr.nextIndex > this.log.lastIndex() || pr.nextIndex > windowEnd)) return;
    if (pr.nextIndex <= this.log.snapshot().index) {
      if (this.nowMs - pr.snapshotSentMs < SNAPSHOT_RESEND_MS) return;
      pr.snapshotSentMs = this.nowMs;
      const snapshot = this.log.snapshot();
      const msg = this.message({ kind: "install-snapshot", snapshot, commit: this.commitIndex });
      this.out.push({ kind: "send-snapshot", to, msg });
      pr.nextIndex = snapshot.index + 1;
      return;
    }
    const prevIndex = pr.nextIndex - 1;
    const entries = this.log.slice(pr.nextIndex, Math.min(pr.nextIndex + ENTRIES_PER_APPEND_MAX - 1, windowEnd));
    this.send(to, {
      kind: "append",
      prevIndex,
      prevEpoch: this.log.term(prevIndex)!,
      entries,
      commit: this.commitIndex,
      round: this.prim!.round,
    });
    pr.nextIndex += entries.length;
  }

  /** Sends a lagging peer batches until its window is full or it has everything. */
  private fillWindow(to: NodeId, pr: Progress): void {
    for (let i = 0; i < Math.ceil(this.inFlightMax / ENTRIES_PER_APPEND_MAX); i++) {
      const before = pr.nextIndex;
      this.sendAppend(to, false);
      if (pr.nextIndex === before) return;
    }
  }

  private onAppendReply(msg: Message & { kind: "append-reply" }): void {
    if (this.role !== "primary" || msg.epoch !== this.epoch) return;
    const pr = this.progressOf(msg.from, msg.storageId);
    if (msg.success) {
      pr.matchIndex = Math.max(pr.matchIndex, msg.matchIndex);
      pr.ackedRound = Math.max(pr.ackedRound, msg.round);
      pr.matchKnown = true;
      pr.incarnation = msg.incarnation;
      pr.ackedAtMs = this.nowMs;
      pr.nextIndex = Math.max(pr.nextIndex, pr.matchIndex + 1);
      this.maybeCommit();
      // Ack-clocked catch-up (maybeCommit may have ended this primary's term).
      if (this.role === "primary") this.fillWindow(msg.from, pr);
    } else if (msg.hintIndex > pr.matchIndex) {
      pr.nextIndex = Math.min(msg.hintIndex, this.log.lastIndex() + 1);
      this.sendAppend(msg.from, false);
    } else if (msg.hintIndex > 0 && msg.incarnation !== pr.incarnation) {
      // S4: a restarted member that dropped a damaged log part holds less than it acked
      // before. Forget its old acks (only fewer commits) and send from where it ends.
      pr.matchIndex = 0;
      pr.matchKnown = false;
      pr.nextIndex = Math.min(msg.hintIndex, this.log.lastIndex() + 1);
      this.sendAppend(msg.from, false);
    }
  }

  /** R3: i is committed when every member of view(i) fsynced it (self: own durable index). */
  private committedBy(i: number): boolean {
    for (const m of this.log.viewAt(i).members) {
      if (m.nodeId === this.nodeId) {
        if (this.durableLastIndex < i) return false;
        continue;
      }
      const pr = this.prim!.progress.get(m.nodeId);
      if (pr === undefined || !sameStorage(m, pr.storageId) || pr.matchIndex < i) return false;
    }
    return true;
  }

  private maybeCommit(): void {
    const prim = this.prim!;
    const floor = Math.max(this.commitIndex + 1, prim.barrierIndex);
    for (let i = this.log.lastIndex(); i >= floor; i--) {
      if (!this.committedBy(i)) continue;
      this.commitIndex = i;
      // R4: ack after commit; the guard already passed at the start of this step.
      for (const [requestId, index] of prim.pending) {
        if (index > i) continue;
        prim.pending.delete(requestId);
        this.reply(requestId, { kind: "ok", index });
      }
      return;
    }
  }

  /** R10 (removal on DEAD/SILENT) and R19 (add/refresh once caught up), one entry at a time. */
  private primaryDuties(): void {
    const prim = this.prim!;
    const view = this.log.latestView();
    for (const m of view.members) {
      if (m.nodeId === this.nodeId) continue;
      const since = prim.listedAtMs.get(m.nodeId) ?? NEVER;
      if (this.peers.deadAsListed(m, since) || this.silent(m.nodeId, since, false)) {
        // R12: one removal per entry; removals pipeline; the proposer stays.
        const members = view.members.filter((x) => x.nodeId !== m.nodeId);
        this.appendLocal([{ kind: "view", members }]);
        prim.listedAtMs.delete(m.nodeId);
        for (const id of this.peerIds) this.sendAppend(id, false);
        return;
      }
    }
    this.askSlowMembersToLeave(view);
    if (this.log.hasViewAbove(this.commitIndex) || this.commitIndex < prim.barrierIndex) return;
    for (const id of this.peerIds) {
      const p = this.peer(id);
      if (p.status !== "joining" || p.statusEpoch !== this.epoch || p.session === null) continue;
      const pr = this.progressOf(id, null);
      // Caught up: within CATCHUP_LAG_MAX of the tail and not behind the commit point (a member
      // whose disk stalls keeps its matchIndex and is not re-added while slow, R11).
      const caughtUpIndex = Math.max(this.commitIndex, this.log.lastIndex() - CATCHUP_LAG_MAX);
      if (p.storageId !== pr.storageId || !pr.matchKnown || pr.matchIndex < caughtUpIndex) continue;
      const listed = findMember(view, id);
      if (
        listed !== undefined &&
        (!sameStorage(listed, pr.storageId) || listed.session === p.session)
      ) {
        continue;
      }
      const joiner: Member = { nodeId: id, storageId: pr.storageId, session: p.session };
      const members = [...view.members.filter((x) => x.nodeId !== id), joiner].sort(
        (a, b) => a.nodeId - b.nodeId
      );
      this.appendLocal([{ kind: "view", members }]);
      prim.listedAtMs.set(id, this.nowMs);
      // Its lag counts from this listing: a stall from before it left must not evict it again.
      pr.behindSinceMs = null;
      for (const peerId of this.peerIds) this.sendAppend(peerId, false);
      return;
    }
  }

  /** R11: a member that answers but whose acks lag over SLOW_MEMBER_MS is asked to leave. */
  private askSlowMembersToLeave(view: View): void {
    const last = this.log.lastIndex();
    for (const m of view.members) {
      if (m.nodeId === this.nodeId) continue;
      const pr = this.progressOf(m.nodeId, null);
      if (pr.matchIndex >= last || !sameStorage(m, pr.storageId)) {
        pr.behindSinceMs = null;
        continue;
      }
      pr.behindSinceMs ??= this.nowMs;
      if (this.nowMs - pr.behindSinceMs < SLOW_MEMBER_MS) continue;
      if (this.nowMs - pr.leaveAskedMs < this.t.heartbeatMs * 4) continue;
      pr.leaveAskedMs = this.nowMs;
      this.send(m.nodeId, { kind: "leave-request", leaveViewId: view.id });
    }
  }

  /** R11 at the member: take a new session (never current under V again), join, then reply. */
  private onLeaveRequest(msg: Message & { kind: "leave-request" }): void {
    if (msg.epoch !== this.epoch || msg.from !== this.primaryId) return;
    if (this.role !== "backup" && this.role !== "joining") return;
    if (compareViewId(msg.leaveViewId, this.log.latestView().id) < 0) return;
    const primary = msg.from;
    this.becomeRecovering(`asked to leave by n${primary}`);
    this.becomeJoining(primary, msg.epoch, "left the view");
    this.send(primary, { kind: "leave-ack", leaveViewId: msg.leaveViewId });
  }

  /** R11 at the primary: only after the member's acknowledgment is V − {X} appended. */
  private onLeaveAck(msg: Message & { kind: "leave-ack" }): void {
    if (this.role !== "primary" || msg.epoch !== this.epoch || msg.status !== "joining") return;
    const view = this.log.latestView();
    const listed = findMember(view, msg.from);
    if (listed === undefined || listed.session === msg.session) return;
    const members = view.members.filter((x) => x.nodeId !== msg.from);
    this.appendLocal([{ kind: "view", members }]);
    this.prim!.listedAtMs.delete(msg.from);
    for (const id of this.peerIds) this.sendAppend(id, false);
  }

  // -------------------------------------------------------------------------------------------
  // Elections (R13–R15, R18).

  private requestVote(to: NodeId): void {
    const cand = this.cand!;
    let nonce = cand.nonces.get(to);
    if (nonce === undefined) {
      nonce = this.newNonce();
      cand.nonces.set(to, nonce);
    }
    this.send(to, {
      kind: "vote-request",
      recovery: cand.recovery,
      lastIndex: this.log.lastIndex(),
      lastEpoch: this.log.lastEpoch(),
      nonce,
    });
  }

  /** R15. */
  private onVoteRequest(msg: Message & { kind: "vote-request" }): void {
    const e = msg.epoch;
    const c = msg.from;
    const refuse = (reason: string): void =>
      this.send(c, {
        kind: "vote-reply",
        candidateEpoch: e,
        nonce: msg.nonce,
        granted: false,
        reason,
      });
    if (e < this.epoch) return refuse("stale epoch");
    if (e === this.epoch && this.votedFor !== null && this.votedFor !== c) {
      // A node that voted for itself in e stood (or stands) against c: a split vote.
      return refuse(this.votedFor === this.nodeId ? "voted for self" : "voted");
    }
    const mine = this.log.latestView();
    if (compareViewId(mine.id, msg.viewId) > 0) {
      // CE22/CE23: ship our suffix only when our newer view still lists C and our log extends C's.
      const listed = findMember(mine, c);
      const extendsC =
        msg.lastIndex >= this.log.snapshot().index &&
        this.log.term(msg.lastIndex) === msg.lastEpoch;
      if (
        !msg.recovery &&
        listed !== undefined &&
        listed.session === msg.session &&
        sameStorage(listed, msg.storageId) &&
        extendsC
      ) {
        const suffix = this.log.slice(msg.lastIndex + 1, msg.lastIndex + ENTRIES_PER_SHIP_MAX);
        this.send(c, {
          kind: "vote-reply",
          candidateEpoch: e,
          nonce: msg.nonce,
          granted: false,
          reason: "ship",
          suffix,
          suffixPrevEpoch: msg.lastEpoch,
        });
        return;
      }
      return refuse("newer view");
    }
    const behind = msg.recovery ? this.recoveryLogBehind(msg) : null;
    if (behind !== null) return refuse(behind);
    if (!msg.recovery && this.sticky(c)) return refuse("sticky");
    if (this.role === "candidate" && e > this.epoch) this.abandonCandidacy(`voting in e${e}`);
    if (e > this.epoch || this.votedFor === null) {
      this.epoch = e;
      this.votedFor = c;
      this.persist({ kind: "persist-hard-state", epoch: e, votedFor: c }, null);
      if (this.role === "backup" || this.role === "joining") {
        // R13: the voted-for candidate is our primary for STEPPED-DOWN and general SILENT.
        this.primaryId = c;
        this.primaryEpoch = e;
        this.primaryIsCandidate = true;
        this.followSinceMs = this.nowMs;
        this.electionDueMs = null;
      }
    }
    this.sendAfterDurable(c, {
      kind: "vote-reply",
      candidateEpoch: e,
      nonce: msg.nonce,
      granted: true,
      reason: "granted",
    });
  }

  /** R15/R18: a recovery candidate's log must not be behind ours, nor (S4) behind what our
   * damaged log may hold — R18 waits for that reach (refinement 18). */
  private recoveryLogBehind(c: { lastEpoch: number; lastIndex: number }): string | null {
    const mine = { lastEpoch: this.log.lastEpoch(), lastIndex: this.log.lastIndex() };
    if (compareLogs(c, mine) < 0) return "log behind";
    if (this.damagedReach !== null && compareLogs(c, this.damagedReach) < 0) {
      return "log behind a damaged reach";
    }
    return null;
  }

  /** R15 stickiness (liveness only): a backup that hears its primary refuses fast-path votes. */
  private sticky(candidate: NodeId): boolean {
    if (this.role !== "backup" || this.primaryId === null || this.primaryId === candidate)
      return false;
    if (this.primaryIsCandidate || this.hardEvidence(this.primaryId, this.followSinceMs))
      return false;
    return this.nowMs - this.peer(this.primaryId).primaryContactMs < this.t.excludeMs;
  }

  private onVoteReply(msg: Message & { kind: "vote-reply" }): void {
    const cand = this.cand;
    if (
      cand === null ||
      msg.candidateEpoch !== cand.epoch ||
      cand.nonces.get(msg.from) !== msg.nonce
    ) {
      return;
    }
    if (msg.granted) {
      cand.granted.set(msg.from, { storageId: msg.storageId, session: msg.session });
    } else if (msg.reason === "ship" && !cand.recovery && msg.suffix !== undefined) {
      this.applyShipped(cand, msg.from, msg.suffix, msg.suffixPrevEpoch ?? -1);
    } else if (
      msg.reason === "voted for self" &&
      msg.status !== "primary" &&
      msg.epoch === cand.epoch
    ) {
      this.onSplitVote(cand, msg.from);
    } else if (msg.reason === "newer view") {
      const fromOldPrimary =
        msg.from === cand.oldPrimary && (msg.status === "recovering" || msg.status === "joining");
      // R15: a stepped-down primary's refusal is evidence first; otherwise we are not in sync.
      if (!fromOldPrimary) this.becomeRecovering(`n${msg.from} holds a newer view`);
    }
  }

  /**
   * Liveness only: two fast-path candidates of one epoch refuse each other and would wait for
   * their election timeouts (> T_exclude). The lower node id stands again at once in a higher
   * epoch; the other gives up and holds off long enough to grant that vote. The refusal names
   * a self-vote, not the refuser's role, so the lower id stands again even when the other
   * had already yielded when it answered.
   */
  private onSplitVote(cand: Candidacy, rival: NodeId): void {
    if (cand.recovery || this.role !== "candidate") return;
    const yields = this.nodeId > rival;
    this.abandonCandidacy(yields ? `split vote with n${rival}: yielding` : `split vote with n${rival}`);
    if ((this.role as Role) !== "backup") return;
    this.electionDueMs = yields ? this.nowMs + 4 * this.t.staggerMsMax : this.nowMs;
  }

  /** CE22: append a voter's suffix with R2's matching rules, fsync, re-check currency, re-ask. */
  private applyShipped(
    cand: Candidacy,
    from: NodeId,
    suffix: readonly LogEntry[],
    prevEpoch: number
  ): void {
    const first = suffix[0];
    if (first === undefined || this.log.term(first.index - 1) !== prevEpoch) return;
    this.acceptEntries(suffix);
    cand.nonces.delete(from);
    this.afterDurable(() => {
      if (this.cand !== cand) return;
      if (!this.listedCurrent()) {
        this.becomeRecovering("not current after shipped suffix");
        return;
      }
      this.requestVote(from);
    });
  }

  private hardEvidence(id: NodeId, since: number): boolean {
    const p = this.peer(id);
    return p.deadMs >= since || (id === this.primaryId && p.steppedDownEpoch >= this.primaryEpoch);
  }

  /** R7 SILENT (timed mode only): see `Peers.silent`. */
  private silent(id: NodeId, since: number, primaryContact: boolean): boolean {
    return this.peers.silent(id, since, primaryContact, this.nowMs, this.pauseChangedAtMs);
  }

  /**
   * R13 stagger, ordered by rank (NOTES.md refinement 13): rank r waits r × `staggerMsMax`
   * plus a jitter below `staggerMsMin`. The first in rank has nobody to wait for; the jitter
   * only separates two nodes that both rank first (views of each other differ). Two backups
   * that see the primary die within the same milliseconds then stand one after the other
   * instead of splitting the vote; if the first never stands, the next waits a bounded extra.
   */
  private staggerMs(): number {
    const jitter = Math.floor(this.random() * this.t.staggerMsMin);
    // Refinement 22: still loading its state, it goes after every other member.
    const behind = this.stateLoading ? this.log.latestView().members.length - 1 : 0;
    return (this.electionRank() + behind) * this.t.staggerMsMax + jitter;
  }

  /**
   * How many other members of our view would stand before us: backups of our epoch heard
   * from within `T_exclude` and since any DEAD evidence (a restarted peer is DEAD as its old
   * incarnation, alive as its new one), whose log (as of their latest fresh pong, against ours
   * when we sent that probe, so both are read at nearly one instant) is longer than ours by
   * more than `RANK_LOG_SLACK` entries (or ends in a newer epoch), or is no shorter by more
   * than that and has a lower node id. Backups under load differ by a few entries, so a small
   * difference is a tie broken by whether the state machine is loading (refinement 22: its
   * pong says so), then by node id: both sides then agree on the order.
   */
  private electionRank(): number {
    let rank = 0;
    const myLastEpoch = this.log.lastEpoch();
    const freshSinceMs = this.nowMs - this.t.excludeMs;
    for (const m of this.log.latestView().members) {
      const id = m.nodeId;
      if (id === this.nodeId || id === this.primaryId) continue;
      const p = this.peer(id);
      // Gone since we last heard from it (a refused probe after its last message), or silent.
      if (p.deadMs > p.contactMs || p.contactMs < freshSinceMs) continue;
      if (p.status !== "backup" || p.statusEpoch !== this.epoch) continue;
      const a = p.answer !== null && p.answer.atMs >= freshSinceMs ? p.answer : null;
      let ahead = id < this.nodeId;
      if (a !== null && a.lastEpoch !== myLastEpoch) ahead = a.lastEpoch > myLastEpoch;
      else if (a !== null && Math.abs(a.lastIndex - a.ownLastIndex) > RANK_LOG_SLACK)
        ahead = a.lastIndex > a.ownLastIndex;
      // Refinement 22: between logs that tie, one that can serve at once goes first.
      else if (a !== null && a.loading !== this.stateLoading) ahead = this.stateLoading;
      if (ahead) rank++;
    }
    return rank;
  }

  /** R13: evidence against the primary we follow (or the candidate we voted for). */
  private evidenceAgainstPrimary(): boolean {
    const id = this.primaryId;
    if (id === null) return false;
    if (this.hardEvidence(id, this.followSinceMs)) return true;
    return this.silent(id, this.followSinceMs, !this.primaryIsCandidate);
  }

  /** R14: for each other member of C's view, a durable vote or fresh evidence. */
  private fastPathWon(cand: Candidacy): Member[] | null {
    const members: Member[] = [];
    // The candidate's view is its latest (R14); a shipped suffix (CE22) may have renewed it, and
    // for R18 the candidate holds N*, whose latest view is V*.
    const view = this.log.latestView();
    if (cand.recovery && findMember(view, this.nodeId) === undefined) {
      members.push({ nodeId: this.nodeId, storageId: this.storageId, session: this.session });
    }
    for (const m of view.members) {
      if (m.nodeId === this.nodeId) {
        members.push({ nodeId: this.nodeId, storageId: this.storageId, session: this.session });
        continue;
      }
      const g = cand.granted.get(m.nodeId);
      if (g !== undefined && sameStorage(m, g.storageId)) {
        members.push({ nodeId: m.nodeId, storageId: g.storageId, session: g.session });
        continue;
      }
      if (cand.recovery) {
        if (cand.dropped.has(m.nodeId)) continue;
        return null;
      }
      const p = this.peer(m.nodeId);
      if (this.peers.deadAsListed(m, cand.startMs)) continue;
      const isOld = m.nodeId === cand.oldPrimary;
      if (isOld && p.steppedDownEpoch >= cand.oldPrimaryEpoch) continue;
      const since = isOld ? cand.followSinceMs : NEVER;
      if (this.silent(m.nodeId, since, isOld && !cand.oldPrimaryIsCandidate)) continue;
      return null;
    }
    return members;
  }

  // -------------------------------------------------------------------------------------------
  // Per-step progress of the current role.

  private progressRole(): void {
    switch (this.role) {
      case "primary":
        this.primaryDuties();
        this.maybeCommit();
        if (this.role === "primary") this.answerReads();
        return;
      case "backup":
        this.waitReason = "following";
        if (!this.evidenceAgainstPrimary()) {
          this.electionDueMs = null;
          return;
        }
        if (this.electionDueMs === null) {
          this.electionDueMs = this.nowMs + this.staggerMs();
        } else if (this.nowMs >= this.electionDueMs) {
          this.becomeCandidate(false, Math.max(this.maxEpochSeen, this.epoch) + 1);
        }
        return;
      case "candidate": {
        const cand = this.cand!;
        if (!cand.requested) return;
        const members = this.fastPathWon(cand);
        if (members !== null) this.becomePrimary(members);
        else if (this.nowMs >= cand.deadlineMs) this.abandonCandidacy("election timed out");
        return;
      }
      case "joining":
        this.waitReason = "catching up";
        if (
          this.nowMs - Math.max(this.followSinceMs, this.peer(this.primaryId!).primaryContactMs) >
          this.t.excludeMs
        ) {
          this.becomeRecovering("primary silent while joining");
        }
        return;
      case "recovering":
        this.recoveringDuties();
        return;
      default:
        assertNever(this.role);
    }
  }

  /** R17(b)/R18: with fresh answers from all of V* and nobody current, the LAST rule decides. */
  private recoveringDuties(): void {
    const freshSinceMs = Math.max(this.pauseChangedAtMs, this.nowMs - RECOVERY_ANSWER_AGE_MS);
    const answers: LogInfo[] = this.peers.freshAnswers(freshSinceMs);
    const self: LogInfo = {
      nodeId: this.nodeId,
      storageId: this.storageId,
      status: this.role,
      epoch: this.epoch,
      lastIndex: this.log.lastIndex(),
      lastEpoch: this.log.lastEpoch(),
      latestView: this.log.latestView(),
      vote: { epoch: this.epoch, votedFor: this.votedFor },
      ...(this.damagedReach !== null ? { damagedReach: this.damagedReach } : {}),
    };
    const unclean = this.nowMs < this.uncleanUntilMs;
    const plan = planRecovery(self, answers, { unclean });
    if (plan.kind === "wait") {
      this.waitReason = plan.why;
      return;
    }
    if (plan.candidate !== this.nodeId) {
      this.waitReason = `n${plan.candidate} should stand`;
      return;
    }
    this.waitReason = "standing";
    assert(
      compareViewId(plan.vStar.id, this.log.latestView().id) === 0,
      "the R18 candidate holds V*"
    );
    if (plan.dropped.length > 0) {
      this.waitReason = `standing without ${plan.dropped.map((id) => `n${id}`).join(", ")} (unclean)`;
    }
    this.becomeCandidate(true, Math.max(plan.epoch, this.maxEpochSeen + 1), plan.dropped);
  }

  // -------------------------------------------------------------------------------------------
  // Helpers.

  /** A node is current iff the latest known-committed view lists its session and no later one omits it. */
  private listedCurrent(): boolean {
    for (const v of this.log.viewsNewestFirst()) {
      const m = findMember(v, this.nodeId);
      if (m === undefined || m.session !== this.session || !sameStorage(m, this.storageId))
        return false;
      if (v.id.index <= this.commitIndex) return true;
    }
    return false;
  }

  private applyCommitted(): void {
    const to = Math.min(this.commitIndex, this.log.lastIndex());
    if (to <= this.appliedIndex) return;
    const entries = this.log.slice(this.appliedIndex + 1, to).filter((e) => e.kind === "cmd");
    this.out.push({ kind: "apply", entries, throughIndex: to });
    this.appliedIndex = to;
    const snapshotIndex = this.log.snapshot().index;
    if (this.compactPending === null
      && compactionDue(snapshotIndex, to, this.snapshotInterval, this.compactPhase)
      && !this.peerCatchingUpBelow(snapshotIndex, to)) {
      this.compactPending = to;
      const snapshot = this.snapshotMetaAt(to);
      this.out.push({ kind: "compact", throughIndex: to, snapshot });
    }
  }

  /**
   * A primary holds its compaction back while a peer it heard from within T_exclude is
   * catching up from its log and is behind `to`, but less than an interval: compacting would
   * make that peer take the whole state as a snapshot (a transfer and a restore, which took a
   * restarted node a minute under load) instead of the rest of the log. A peer further behind
   * or silent does not hold it, so the log stays bounded (about two and a half intervals).
   */
  private peerCatchingUpBelow(snapshotIndex: number, to: number): boolean {
    if (this.role !== "primary" || this.prim === null) return false;
    for (const [id, pr] of this.prim.progress) {
      if (!pr.matchKnown || pr.matchIndex >= to || to - pr.matchIndex > this.snapshotInterval) continue;
      if (!this.peers.has(id) || this.nowMs - this.peers.get(id).contactMs > this.t.excludeMs) continue;
      if (pr.matchIndex >= snapshotIndex) return true;
    }
    return false;
  }

  private snapshotMetaAt(index: number): SnapshotMeta {
    const e = this.log.entry(index);
    const base = this.log.snapshot();
    if (e === undefined) return base;
    return { index, epoch: e.epoch, ts: e.ts, view: this.log.viewAt(index) };
  }

  private probeAll(): void {
    this.peers.expire(this.nowMs);
    for (const id of this.peerIds) this.probe(id);
  }

  /** R7: a fresh connect (DEAD evidence if refused) and a ping (contact if answered). */
  private probe(id: NodeId): void {
    const nonce = this.peers.startProbe(id, this.nowMs, this.pauseEpoch, this.log.lastIndex());
    this.out.push({ kind: "probe", peer: id, nonce });
    this.send(id, { kind: "ping", nonce, pauseEpoch: this.pauseEpoch });
  }

  /**
   * Refinement 23: the repair drops what the damaged part held, views included, and the
   * primary that the node follows may fail before the node has its log again; a node that
   * then forgot its reach would plan R18 from a view older than ones it was in (and might
   * recover alone). So the reach goes to the hard state before the repair write, and stays
   * until the durable log covers it (`forgetCoveredReach`), across restarts.
   */
  private keepReachDurably(): void {
    if (this.reachPersisted) return;
    this.reachPersisted = true;
    this.persist({ kind: "persist-hard-state", epoch: this.epoch, votedFor: this.votedFor,
      damagedReach: this.damagedReach }, null);
  }

  /** Refinement 23: once the durable log reaches past the damaged reach, the node is like
   * any other whose log lags: R18 needs nothing more from it. */
  private forgetCoveredReach(): void {
    if (this.damagedReach === null || this.faultOnDisk) return;
    const durable = { lastEpoch: this.log.term(this.durableLastIndex) ?? 0, lastIndex: this.durableLastIndex };
    if (compareLogs(durable, this.damagedReach) < 0) return;
    this.damagedReach = null;
    this.reachPersisted = false;
    this.persist({ kind: "persist-hard-state", epoch: this.epoch, votedFor: this.votedFor, damagedReach: null },
      null);
  }

  private persist(a: PersistBody, lastIndexAfter: number | null): void {
    if (this.faultOnDisk && this.repairToken === null && a.kind !== "persist-hard-state") {
      // S4: the first log write of a faulted node drops the damaged part first (R20 repair).
      // The node writes its log only while following a primary, whose log holds every
      // committed entry (R18 waited for this node's reach), so nothing acked is lost.
      this.keepReachDurably();
      const afterIndex = a.kind === "persist-truncate" ? a.afterIndex : a.entries[0]!.index - 1;
      if (a.kind === "persist-entries") {
        this.repairToken = this.issueToken(afterIndex);
        this.out.push({ kind: "persist-truncate", afterIndex, token: this.repairToken });
      } else {
        this.repairToken = this.tokenNext;
      }
    }
    const token = this.issueToken(lastIndexAfter);
    this.out.push({ ...a, token } as Action);
  }

  private issueToken(lastIndexAfter: number | null): number {
    const token = this.tokenNext++;
    this.tokenIssuedLast = token;
    this.pendingPersist.push({ token, lastIndexAfter });
    return token;
  }

  /** Persist before you speak: run `build` once every write issued so far is durable. */
  private afterDurable(build: () => void): void {
    if (this.tokenDoneLast === this.tokenIssuedLast) build();
    else this.afterPersist.push({ token: this.tokenIssuedLast, build });
  }

  private message(body: Body): Message {
    const header: Header = {
      from: this.nodeId,
      storageId: this.storageId,
      incarnation: this.incarnation,
      session: this.session,
      epoch: this.epoch,
      viewId: this.log.latestView().id,
      status: this.role,
    };
    return { ...header, ...body } as Message;
  }

  /**
   * Persist before you speak. The message is built NOW — its header carries the epoch and
   * session of the moment it was decided — and leaves once every write issued so far is
   * durable. Building it later would let an ack for an old primary's append carry a newer
   * epoch and be counted by the new primary (simulator, seed 9286).
   */
  private sendAfterDurable(to: NodeId, body: Body): void {
    const msg = this.message(body);
    this.afterDurable(() => this.out.push({ kind: "send", to, msg }));
  }

  private send(to: NodeId, body: Body): void {
    this.out.push({ kind: "send", to, msg: this.message(body) });
  }

  private reply(requestId: string, outcome: ReplyOutcome): void {
    this.out.push({ kind: "reply", requestId, outcome });
  }

  private peer(id: NodeId): PeerState {
    return this.peers.get(id);
  }

  private newNonce(): string {
    return this.peers.newNonce();
  }

  private randomId(prefix: string): string {
    const hi = Math.floor(this.random() * 0x1000000)
      .toString(16)
      .padStart(6, "0");
    const lo = Math.floor(this.random() * 0x1000000)
      .toString(16)
      .padStart(6, "0");
    return `${prefix}${hi}${lo}`;
  }

  private assertInvariants(): void {
    const last = this.log.lastIndex();
    assert(this.commitIndex <= last, "commit ≤ last index");
    assert(this.appliedIndex <= this.commitIndex, "applied ≤ commit");
    assert(this.log.snapshot().index <= this.commitIndex, "snapshot ≤ commit");
    assert(this.log.lastEpoch() <= this.epoch, "log epoch ≤ durable epoch");
    assert(this.epoch <= this.maxEpochSeen, "epoch ≤ max seen");
    // S4/inv. 19: a storage-faulted node behaves as recovering (R20) until its repair is durable.
    assert(
      !this.faultOnDisk || this.role === "recovering" || this.role === "joining",
      "a storage-faulted node is recovering or joining"
    );
    switch (this.role) {
      case "primary":
        assert(this.prim !== null && this.primaryId === this.nodeId, "primary state");
        assert(
          this.votedFor === this.nodeId && this.primaryEpoch === this.epoch,
          "primary of own epoch"
        );
        break;
      case "candidate":
        assert(this.cand !== null && this.cand.epoch === this.epoch, "candidate state");
        assert(this.votedFor === this.nodeId, "candidate voted for self");
        break;
      case "backup":
        assert(this.primaryId !== null && this.listedCurrent(), "backup is current");
        break;
      case "joining":
        assert(this.primaryId !== null, "joiner follows a primary");
        break;
      case "recovering":
        break;
      default:
        assertNever(this.role);
    }
  }
}
