// The pipeline of a replicated node: the pure replication core (libs/replication) wired to the
// disk (NodeStorage), the network (ReplicaTransport, liveness probes) and a timer. Every event
// goes through `step`, which runs the core and then executes its actions in order:
// persist before you speak (acks and votes leave the core only after `persisted`), apply
// committed entries, answer proposals and reads, follow role changes. Catch-up by snapshot
// (R19) streams snapshot files, never a whole state in memory (SnapshotCatchUp): `send-snapshot`
// streams the latest snapshot file to the peer, a received file reaches the core only once
// complete and verified, and `install-snapshot` adopts it and restores the state from it while
// applies and compactions wait (withState).
import { randomBytes } from "node:crypto";
import {
  Replica,
  type Action,
  type Event,
  type Message as CoreMessage,
  type NodeId,
  type Proposal,
  PROPOSALS_PER_BATCH_MAX,
  type ReplyOutcome,
  type Role as CoreRole,
  type SnapshotMeta,
  type View,
} from "@chat-tui/replication";
import type { ChatState, Command, CommandOutcome } from "@chat-tui/chat-state";
import { stateDigest } from "@chat-tui/chat-state";
import type { NodeCredentials } from "./tls.js";
import type { ClusterConfig, NodeAddress } from "../config.js";
import type { Logger } from "../logger.js";
import { NotServingError } from "./errors.js";
import { decodeMessage, encodeMessage, forgetEntryJson } from "./entry-json.js";
import { LogClock, monotonicMs } from "./log-clock.js";
import { LivenessLink } from "./liveness-probe.js";
import {
  appliedMessages,
  sessionsChanged,
  type CmdEntry,
  type NodeStorage,
  type StoredEntry,
} from "./node-storage.js";
import { Listeners, type ClusterView, type NodeView, type Pipeline, type PipelineEvents, type Role } from "./pipeline.js";
import { ReplicaTransport } from "./replica-transport.js";
import { SnapshotCatchUp } from "./snapshot-catch-up.js";
import { snapshotEveryEntries, snapshotPartBytes } from "../limits.js";

/** Per-probe deadline T_probe = D_max (§7.3). */
const probeTimeoutMs = 500;
/** How long a peer's last word counts as its role for ClusterService. */
const peerFreshMs = 1_500;
/** How often the commit hint reaches the hard state (only a hint, R0). */
const commitHintEveryMs = 1_000;
/** A run of state jobs gives the loop back after this long (R8's pause guard is at 200 ms). */
const stateSliceMs = 20;
/** Entries one step of an apply job applies (a few ms of work). */
const applySliceEntriesMax = 1_000;
/**
 * Committed entries not yet applied past which the node counts as loading its state
 * (refinement 22): after a restore it applies everything since its snapshot (100,000+
 * entries, seconds of work), and a node busy with that is slow to vote and to serve. It
 * counts as loaded again below `applyBacklogLoaded` (no flapping at the edge under load).
 */
const applyBacklogLoading = 10_000;
const applyBacklogLoaded = 1_000;

/** Work that needs the chat state; it returns true while it has more to do. */
type StateJob = () => boolean | void;

interface Waiter {
  resolve(outcome: CommandOutcome | undefined): void;
  reject(error: Error): void;
  /** For proposals: the applied outcome, once known. */
  outcome?: CommandOutcome;
  /** Resolve once the state is applied through this index. */
  index?: number;
}

interface PeerInfo {
  role: CoreRole | "down" | "unknown";
  epoch: number;
  lastIndex: number;
  heardAtMs: number;
  /** Its latest pong said its state is loading. */
  loading: boolean;
}

export class ReplicatedPipeline implements Pipeline {
  private readonly core: Replica;
  private readonly listeners = new Listeners();
  private readonly clock: LogClock;
  private readonly transport: ReplicaTransport;
  /** Per peer: the connection to its liveness port (R7). */
  private readonly liveness = new Map<NodeId, LivenessLink>();
  private readonly peers = new Map<NodeId, PeerInfo>();
  /** Peers whose loss (a broken stream) was logged since they were last heard from. */
  private readonly peersLostLogged = new Set<NodeId>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly inflight = new Map<string, Promise<CommandOutcome>>();
  private readonly logOps = new Set<Promise<void>>();
  private barrier: Promise<void> = Promise.resolve();
  private metaChain: Promise<void> = Promise.resolve();
  private role: CoreRole = "recovering";
  private coreEpoch: number;
  private primaryId: NodeId | null = null;
  /** A primary serves clients once its barrier committed (a read through the core says so). */
  private ready = false;
  private appliedIndex: number;
  private digest: { appliedIndex: number; digest: string } | undefined;
  private commitHint = 0;
  private hintWritten = 0;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readCounter = 0;
  /** Proposals of this turn, handed to the core together (enqueueProposal). */
  private proposals: Proposal[] = [];
  /** Applies and compactions asked for while the snapshot state was still loading. */
  private readonly awaitingState: StateJob[] = [];
  private stateJobsScheduled = false;
  /** Snapshot installs issued and not finished: the chat state is about to be replaced. */
  private installsPending = 0;
  /** What the core was last told (`reportLoading`). */
  private loadingReported = false;
  private loadingCheckQueued = false;
  /** The highest index the core asked to apply. */
  private applyTarget = 0;
  private readonly catchUp: SnapshotCatchUp;

  constructor(
    private readonly config: ClusterConfig,
    private readonly self: NodeAddress,
    private readonly storage: NodeStorage,
    private readonly log: Logger,
    credentials: NodeCredentials,
  ) {
    const recovered = storage.recovered;
    if (!recovered) throw new Error("storage was already handed to a pipeline");
    storage.recovered = undefined;
    const meta = storage.meta.data;
    const entries = recovered.entries;
    const lastEpoch = entries.at(-1)?.epoch ?? recovered.snapshotEpoch;
    const epoch = Math.max(meta.epoch, lastEpoch);
    const snapshot = recovered.snapshotExtra?.replication as SnapshotMeta | undefined;
    this.core = new Replica({
      nodeId: self.id,
      members: config.nodes.map((n) => ({ nodeId: n.id })),
      exclusion: "timed",
      random: seededRandom(),
      snapshotIntervalEntries: config.limits?.snapshotEveryEntries ?? snapshotEveryEntries,
    }, {
      storageId: meta.storageId,
      epoch,
      votedFor: meta.votedFor[String(epoch)] ?? null,
      ...(snapshot ? { snapshot } : {}),
      entries: entries as never,
      commitHint: meta.commitHint,
      // S4: the core answers R18 with the intact prefix plus the fault and its reach, and its
      // first log write is the repair (a truncation to the prefix, NodeStorage.truncateAfter).
      ...(recovered.fault ? { storageFault: recovered.fault } : {}),
      // Refinement 23: a repaired log whose damaged reach it does not cover yet.
      ...(meta.damagedReach ? { damagedReach: meta.damagedReach } : {}),
    });
    this.coreEpoch = epoch;
    this.appliedIndex = recovered.snapshotIndex;
    storage.stateReady.then(() => {
      this.reportLoading();
      this.runStateJobs();
    }, (err: unknown) => this.storageFailed(err));
    this.clock = new LogClock(storage.lastTs);
    for (const node of config.nodes) {
      if (node.id === self.id) continue;
      this.peers.set(node.id, { role: "unknown", epoch: 0, lastIndex: 0, heardAtMs: 0, loading: false });
      // A kept liveness connection closed: probe at once, even right after an accepted connect
      // (unless it closed young — a full listener — where the core's usual rate limit holds).
      this.liveness.set(node.id, new LivenessLink(node.host, node.livenessPort,
        (lived) => this.step({ kind: "peer-lost", nowMs: monotonicMs(), peer: node.id, livenessClosed: lived })));
    }
    this.catchUp = new SnapshotCatchUp({
      storage,
      log,
      partBytes: config.limits?.snapshotPartBytes ?? snapshotPartBytes,
      isPeer: (id) => this.peers.has(id),
      sendFile: (to, begin, chunks) => this.transport.sendSnapshot(to, begin, chunks),
      deliver: (from, msg) => this.onPeerMessage(from, msg),
      storageFailed: (err) => this.storageFailed(err),
    });
    this.transport = new ReplicaTransport({
      self,
      peers: config.nodes.filter((n) => n.id !== self.id),
      secret: config.secret,
      credentials,
      log,
      onMessage: (from, payload) => this.onPeerPayload(from, payload),
      onPeerLost: (peer) => this.onPeerLost(peer),
      onSnapshot: this.catchUp.inbox,
    });
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.step({ kind: "tick", nowMs: monotonicMs() });
    this.reportLoading();
    // The guard's resolution (R8). The tick runs after I/O already queued (setImmediate), so
    // a socket callback that arrived during a pause is seen before the timer decides (R7).
    const tick = setInterval(() => setImmediate(() => {
      this.step({ kind: "tick", nowMs: monotonicMs() });
      if (this.loadingReported) this.maybeHurryRestore(); // its primary's pongs say when it has its state
    }), 10);
    const hint = setInterval(() => this.writeCommitHint(), commitHintEveryMs);
    this.timers.push(tick, hint);
  }

  // ---------------------------------------------------------------------------------------
  // Pipeline (what the RPC layer sees).

  get state(): ChatState {
    return this.storage.state;
  }

  notServing(): NotServingError | undefined {
    if (this.closed) return new NotServingError("node is shutting down", undefined);
    if (this.role === "primary" && this.ready) return undefined;
    if (this.role === "primary") return new NotServingError("the primary is starting its epoch", undefined, true);
    const primary = this.believedPrimary(this.primaryId, this.role);
    return new NotServingError(`this node is ${this.role}, not the primary`,
      primary === undefined ? undefined : this.addressOf(primary));
  }

  /**
   * The primary worth naming to clients (hint, ClusterStatus): the one this node follows, and
   * only while that node's latest word says it is primary. Not a candidate this node voted
   * for (not serving yet), not one whose liveness port refused a connect since (DEAD), not
   * while this node stands itself (candidate, recovering): a client sent to a node that is
   * not the primary only fails and backs off, which adds to the failover gap.
   */
  private believedPrimary(primaryId: NodeId | null, role: CoreRole): NodeId | undefined {
    if (primaryId === null) return undefined;
    if (role === "primary") return primaryId === this.self.id ? primaryId : undefined;
    if (role !== "backup" && role !== "joining") return undefined;
    if (primaryId === this.self.id || this.peers.get(primaryId)?.role !== "primary") return undefined;
    return primaryId;
  }

  logTimeNow(): number {
    return Math.max(this.clock.now(), this.storage.lastTs);
  }

  epoch(): number {
    return this.coreEpoch;
  }

  commitIndex(): number {
    return this.core.status().commitIndex;
  }

  stateDigest(): { appliedIndex: number; digest: string } {
    // Still restoring the snapshot: nothing applied that could be compared.
    if (!this.storage.stateLoaded) return { appliedIndex: 0, digest: "" };
    // Reused while nothing new is applied: a checker polls it.
    if (this.digest?.appliedIndex !== this.appliedIndex) {
      this.digest = { appliedIndex: this.appliedIndex, digest: stateDigest(this.state) };
    }
    return this.digest;
  }

  recoverUnclean(): { role: CoreRole; waitReason: string } {
    this.log.warn("recover --unclean: recovery elections of the next minute go without view members "
      + "that do not answer; acknowledged messages only they hold are lost");
    this.step({ kind: "recover-unclean", nowMs: monotonicMs() });
    const { role, waitReason } = this.core.status();
    return { role, waitReason };
  }

  cluster(): ClusterView {
    const status = this.core.status();
    const members = new Set(status.view.members.map((m) => m.nodeId));
    const now = monotonicMs();
    const nodes: NodeView[] = this.config.nodes.map((node) => {
      if (node.id === this.self.id) {
        return {
          id: node.id, address: node.address, role: this.closed ? "down" : status.role, epoch: status.epoch,
          commitIndex: status.commitIndex, lastIndex: status.lastIndex, inView: members.has(node.id),
          loading: this.loadingReported,
        };
      }
      const peer = this.peers.get(node.id)!;
      const fresh = now - peer.heardAtMs < peerFreshMs;
      const role: Role = peer.role === "down" ? "down" : fresh && peer.role !== "unknown" ? peer.role : "down";
      return {
        id: node.id, address: node.address, role, epoch: peer.epoch,
        commitIndex: Math.min(peer.lastIndex, status.commitIndex), lastIndex: peer.lastIndex,
        inView: members.has(node.id), loading: fresh && peer.loading,
      };
    });
    const primaryId = this.closed ? undefined : this.believedPrimary(status.primaryId, status.role);
    return { epoch: status.epoch, primaryId: primaryId ?? -1, reporterId: this.self.id, nodes };
  }

  propose<C extends Command>(command: C): Promise<CommandOutcome<C["kind"]>> {
    const reason = this.notServing();
    if (reason) return Promise.reject(reason);
    // R21: a retry racing its first attempt on this primary waits for it, then goes through
    // the log as a duplicate: apply replays the first outcome (and, for Register/Login, gives
    // the retry's own token a session — joining the first attempt would hand back a token
    // that was never committed).
    const first = this.inflight.get(command.requestId);
    if (first) {
      const retry = (): Promise<CommandOutcome<C["kind"]>> => this.propose(command);
      return first.then(retry, retry);
    }
    const done = this.wait(command.requestId).then((outcome) => outcome as CommandOutcome);
    this.inflight.set(command.requestId, done);
    void done.finally(() => this.inflight.delete(command.requestId)).catch(() => undefined);
    this.enqueueProposal({ requestId: command.requestId, payload: command });
    return done as Promise<CommandOutcome<C["kind"]>>;
  }

  /** A linearizable read point (R24): resolves once the state may be read. */
  async readBarrier(): Promise<void> {
    const reason = this.notServing();
    if (reason) throw reason;
    const requestId = `read-${++this.readCounter}`;
    const done = this.wait(requestId);
    this.step({ kind: "read", nowMs: monotonicMs(), requestId });
    await done;
  }

  on<E extends keyof PipelineEvents>(event: E, listener: PipelineEvents[E]): () => void {
    return this.listeners.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.forEach(clearInterval);
    this.setReady(false);
    for (const [, waiter] of this.waiters) waiter.reject(new NotServingError("node is shutting down", undefined));
    this.waiters.clear();
    this.transport.close();
    for (const link of this.liveness.values()) link.close();
    await Promise.allSettled([...this.logOps, this.barrier, this.metaChain]);
    await this.storage.close();
  }

  // ---------------------------------------------------------------------------------------
  // The host loop.

  /**
   * Group commit starts at the primary's door: proposals go to the core as one batch, so they
   * share one log append, one fsync and one append message per backup. A batch goes as soon as
   * the log is idle (setImmediate runs right after this turn's I/O callbacks, so a lone
   * proposal waits for nothing); while a write is in flight, proposals gather until it is
   * durable (the log could not start their fsync sooner anyway), so a busy primary sends few
   * large batches instead of many small ones, each of which costs every backup a message, a
   * write, an fsync and an ack.
   */
  private enqueueProposal(proposal: Proposal): void {
    this.proposals.push(proposal);
    if (this.proposals.length >= PROPOSALS_PER_BATCH_MAX) this.flushProposals();
    else if (this.proposals.length === 1 && this.logOps.size === 0) setImmediate(() => this.flushProposals());
  }

  private flushProposals(): void {
    if (this.proposals.length === 0) return;
    const proposals = this.proposals;
    this.proposals = [];
    this.step({ kind: "propose-batch", nowMs: monotonicMs(), proposals });
  }

  private wait(requestId: string): Promise<CommandOutcome | undefined> {
    return new Promise((resolve, reject) => this.waiters.set(requestId, { resolve, reject }));
  }

  private step(event: Event): void {
    if (this.closed) return;
    let actions: Action[];
    try {
      actions = this.core.step(event);
    } catch (err) {
      // A broken invariant is a bug: crash-stop rather than act on a state we cannot trust.
      this.log.fatal({ err, event: event.kind }, "replication core assertion failed; exiting");
      process.exit(1);
    }
    const replies: { requestId: string; outcome: ReplyOutcome }[] = [];
    for (const action of actions) {
      if (action.kind === "reply") replies.push(action);
      else this.execute(action);
    }
    // Replies come after the whole batch, so an `apply` in the same batch has run.
    for (const reply of replies) this.answer(reply.requestId, reply.outcome);
  }

  private execute(action: Exclude<Action, { kind: "reply" }>): void {
    switch (action.kind) {
      case "persist-entries": {
        const entries = action.entries as unknown as StoredEntry[];
        this.commitHint = Math.max(this.commitHint, action.commitHint);
        this.logOp(() => this.storage.append(entries), action.token);
        return;
      }
      case "persist-truncate":
        this.logOp(() => this.storage.truncateAfter(action.afterIndex), action.token);
        return;
      case "persist-hard-state": {
        const patch = {
          epoch: action.epoch,
          ...(action.votedFor !== null ? { votedFor: { [String(action.epoch)]: action.votedFor } } : {}),
          ...(action.damagedReach !== undefined ? { damagedReach: action.damagedReach } : {}),
        };
        this.serialOp(() => this.updateMeta(patch), action.token);
        return;
      }
      case "install-snapshot": {
        const { snapshot, retainLog } = action;
        const received = this.catchUp.claim(action.data);
        // Entries after the snapshot may commit and apply before the install is done: they
        // wait for the restored state (withState), or the restore would overwrite them.
        this.installsPending++;
        this.checkLoading(); // reported after this step
        this.serialOp(async () => {
          await this.storage.install(received, retainLog);
          this.installsPending--;
          this.appliedIndex = snapshot.index;
          this.clock.rebase(Math.max(this.clock.now(), snapshot.ts));
          this.log.info({ index: snapshot.index, epoch: snapshot.epoch, bytes: received.bytes },
            "snapshot installed from the primary");
          this.reportLoading();
          this.runStateJobs();
        }, action.token);
        return;
      }
      case "send":
        this.transport.send(action.to, encodeMessage(action.msg), channelOf(action.msg));
        return;
      case "send-snapshot":
        void this.catchUp.send(action.to, action.msg);
        return;
      case "probe":
        void this.liveness.get(action.peer)!.probe(probeTimeoutMs).then((outcome) => {
          if (outcome === "refused") this.markDown(action.peer);
          // A connect that succeeded proves nothing (a SIGSTOPped process accepts); the core
          // learns liveness from the pong, and only that the connect is no longer pending.
          this.step({ kind: "probe-result", nowMs: monotonicMs(), peer: action.peer, nonce: action.nonce,
            outcome: outcome === "ok" ? "connected" : outcome });
        });
        return;
      case "apply": {
        const entries = action.entries as unknown as StoredEntry[];
        this.applyTarget = Math.max(this.applyTarget, action.throughIndex);
        this.checkLoading();
        let from = 0;
        this.withState(() => {
          from = this.applyEntries(entries, from, action.throughIndex);
          return from < entries.length;
        });
        return;
      }
      case "role":
        this.onRole(action.role, action.epoch, action.primaryId, action.view, action.reason);
        return;
      case "compact": {
        const { throughIndex, snapshot } = action;
        this.withState(() => {
          // Asked before an install that already moved the state past it (the core forgot it).
          if (throughIndex < this.appliedIndex) return;
          const { epoch, ts } = snapshot;
          void this.storage.snapshot(throughIndex, epoch, ts, snapshot).then((ok) => {
            if (ok) this.step({ kind: "snapshot-ready", nowMs: monotonicMs(), index: throughIndex });
            // S2: a snapshot that could not be written is a storage failure (the core would
            // wait for it for good, and the log would never be compacted again).
            else if (!this.closed) this.storageFailed(new Error(`snapshot at ${throughIndex} failed`));
          });
        });
        return;
      }
      default: {
        const never: never = action;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Runs `job` now if the chat state is loaded and nothing is queued, else once it is, in the
   * order asked: applies and compactions wait for the snapshot restore (node-storage.ts) while
   * the log, acks and elections go on.
   */
  private withState(job: StateJob): void {
    this.awaitingState.push(job);
    if (this.awaitingState.length === 1) this.runStateJobs();
  }

  private stateSettled(): boolean {
    return this.storage.stateLoaded && this.installsPending === 0;
  }

  /**
   * The background restore (node-storage.ts) goes at full speed once this node is primary,
   * stands for election, or follows a primary whose pongs say it has its state (a restart
   * into a serving cluster): it may be elected next, and a loading node serves late. Until then
   * (recovering, or following a primary that still loads its own, as after a cold start where
   * all three restore at once and the primary must finish first) it stays paced. Pacing every
   * backup was measured too (session 8): it leaves nodes loading longer, so more failovers
   * land while both backups load, and kill -9 gaps were 3–4 times longer in those trials.
   */
  private maybeHurryRestore(): void {
    if (!this.storage.stateLoaded && !this.closed && this.urgent()) this.storage.hurryRestore();
  }

  /** Its state must be ready as soon as it can be. */
  private urgent(): boolean {
    return this.role === "primary" || this.role === "candidate" || this.core.followsLoadedPrimary();
  }

  /**
   * Tells the core when the chat state starts or stops loading (a restore at start, an
   * install, then the backlog of committed entries after the snapshot): while it loads, this
   * node stands for election after the others (NOTES.md refinement 22), since as primary it
   * would serve only once loaded, and is slow to vote meanwhile.
   */
  private reportLoading(): void {
    const loading = this.loading();
    if (loading === this.loadingReported || this.closed) return;
    this.loadingReported = loading;
    this.step({ kind: "state-loading", nowMs: monotonicMs(), loading });
    this.listeners.emit("clusterChanged");
  }

  /** Restoring or installing its state, or applying a backlog of committed entries. */
  private loading(): boolean {
    const backlogMax = this.loadingReported ? applyBacklogLoaded : applyBacklogLoading;
    return !this.stateSettled() || this.applyTarget - this.appliedIndex > backlogMax;
  }

  /** `reportLoading` after the current step (it steps the core itself), if anything changed. */
  private checkLoading(): void {
    if (this.loadingCheckQueued || this.loading() === this.loadingReported) return;
    this.loadingCheckQueued = true;
    queueMicrotask(() => {
      this.loadingCheckQueued = false;
      this.reportLoading();
    });
  }

  /**
   * Runs the queued state jobs in order, one at a time (a job that makes the core ask for
   * more queues it behind the rest). A job that has more to do keeps its place, and after
   * `stateSliceMs` the rest waits for the next turn of the loop: the entries a restored or
   * lagging node applies at once (150,000 after a 1M-message restore) took half a second in
   * one go, which the node's own pause guard (R8) saw as a pause.
   */
  private runStateJobs(): void {
    const sliceStart = performance.now();
    // Bounded by the jobs queued; a job with more to do makes progress every turn.
    while (this.awaitingState.length > 0 && this.stateSettled() && !this.closed) {
      if (performance.now() - sliceStart >= stateSliceMs) {
        this.checkLoading();
        if (!this.stateJobsScheduled) {
          this.stateJobsScheduled = true;
          setImmediate(() => {
            this.stateJobsScheduled = false;
            this.runStateJobs();
          });
        }
        return;
      }
      if (this.awaitingState[0]!() !== true) this.awaitingState.shift();
    }
    this.checkLoading();
  }

  /** Log writes run in order, after any hard-state write issued before them. */
  private logOp(run: () => Promise<void>, token: number): void {
    const op = this.barrier.then(run);
    this.logOps.add(op);
    op.then(() => {
      this.logOps.delete(op);
      this.step({ kind: "persisted", nowMs: monotonicMs(), token });
      // The log is idle: what gathered behind the write goes now (enqueueProposal).
      if (this.logOps.size === 0) this.flushProposals();
    }, (err: unknown) => this.storageFailed(err));
  }

  /** Hard state and snapshot installs wait for every earlier write, and later writes wait for them. */
  private serialOp(run: () => Promise<void>, token: number): void {
    const op = Promise.all([this.barrier, ...this.logOps]).then(run);
    this.barrier = op.catch(() => undefined);
    op.then(() => this.step({ kind: "persisted", nowMs: monotonicMs(), token }),
      (err: unknown) => this.storageFailed(err));
  }

  private updateMeta(patch: Parameters<NodeStorage["meta"]["update"]>[0]): Promise<void> {
    const next = this.metaChain.then(() => this.storage.meta.update(patch));
    this.metaChain = next.catch(() => undefined);
    return next;
  }

  private writeCommitHint(): void {
    if (this.commitHint <= this.hintWritten || this.closed) return;
    const hint = this.commitHint;
    this.updateMeta({ commitHint: hint }).then(() => {
      this.hintWritten = Math.max(this.hintWritten, hint);
    }, (err: unknown) => this.storageFailed(err));
  }

  private storageFailed(err: unknown): never {
    // S2: a write or fsync error is a crash; never retry.
    this.log.fatal({ err }, "storage write failed; exiting");
    process.exit(1);
  }

  /**
   * Applies `entries` from `from`, at most `applySliceEntriesMax` of them; returns where it
   * stopped (`entries.length` when done: then the state is applied through `throughIndex`).
   */
  private applyEntries(entries: StoredEntry[], from: number, throughIndex: number): number {
    const to = Math.min(entries.length, from + applySliceEntriesMax);
    for (let i = from; i < to; i++) {
      const entry = entries[i]!;
      forgetEntryJson(entry);
      // An apply asked for before an install (it waited for the state) covers entries the
      // installed snapshot already holds.
      if (entry.kind !== "cmd" || entry.index <= this.appliedIndex) continue;
      const outcome = this.storage.apply(entry as CmdEntry);
      const requestId = (entry as { requestId?: string }).requestId;
      const waiter = requestId === undefined ? undefined : this.waiters.get(requestId);
      if (waiter) waiter.outcome = outcome;
      this.listeners.emit("applied", appliedMessages(entry, outcome), sessionsChanged(entry));
    }
    const last = entries[to - 1];
    this.appliedIndex = Math.max(this.appliedIndex, to === entries.length ? throughIndex : last!.index);
    if (last) this.clock.rebase(Math.max(this.clock.now(), last.ts));
    for (const [requestId, waiter] of this.waiters) {
      if (waiter.index !== undefined && waiter.index <= this.appliedIndex) this.settle(requestId, waiter);
    }
    this.listeners.emit("clusterChanged");
    return to;
  }

  private answer(requestId: string, outcome: ReplyOutcome): void {
    const waiter = this.waiters.get(requestId);
    if (!waiter) return;
    switch (outcome.kind) {
      case "ok":
      case "read-ok":
        waiter.index = outcome.index;
        if (outcome.index <= this.appliedIndex) this.settle(requestId, waiter);
        return;
      case "not-primary":
        this.waiters.delete(requestId);
        waiter.reject(new NotServingError("this node is no longer the primary",
          outcome.hintNodeId !== null && outcome.hintNodeId !== this.self.id ? this.addressOf(outcome.hintNodeId) : undefined));
        return;
      case "busy":
        this.waiters.delete(requestId);
        waiter.resolve({ ok: false, error: { kind: "resource-exhausted", message: "the primary is overloaded; retry" } });
        return;
      default: {
        const never: never = outcome;
        throw new Error(`unknown reply ${JSON.stringify(never)}`);
      }
    }
  }

  private settle(requestId: string, waiter: Waiter): void {
    this.waiters.delete(requestId);
    waiter.resolve(waiter.outcome);
  }

  private onRole(role: CoreRole, epoch: number, primaryId: NodeId | null, view: View, reason: string): void {
    const was = this.role;
    this.role = role;
    this.coreEpoch = epoch;
    this.primaryId = primaryId;
    this.log.info({ from: was, to: role, primaryId, reason, view: describe(view) }, "role");
    this.maybeHurryRestore();
    if (role !== "primary") this.setReady(false);
    else if (was !== "primary") this.awaitBarrier();
    this.listeners.emit("clusterChanged");
  }

  /** A new primary serves once a read through the core passes: its barrier has committed. */
  private awaitBarrier(): void {
    const requestId = `barrier-${++this.readCounter}`;
    // It also waits for the chat state: a primary whose snapshot is still loading cannot serve.
    this.wait(requestId).then(() => this.storage.stateReady).then(() => {
      if (this.role === "primary") this.setReady(true);
    }, () => undefined);
    this.step({ kind: "read", nowMs: monotonicMs(), requestId });
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    if (!ready) {
      // R22: on step-down, pending client calls fail with UNAVAILABLE (and the hint).
      for (const [requestId, waiter] of this.waiters) {
        if (requestId.startsWith("barrier-")) continue;
        this.waiters.delete(requestId);
        waiter.reject(this.notServing() ?? new NotServingError("no longer the primary", undefined));
      }
    }
    this.log.info({ serving: ready }, ready ? "serving clients" : "not serving clients");
    this.listeners.emit("servingChanged", ready);
  }

  private onPeerPayload(from: number, payload: Buffer): void {
    let msg: CoreMessage;
    try {
      msg = decodeMessage(payload);
    } catch {
      this.log.warn({ from }, "dropped an unreadable replica message");
      return;
    }
    if (msg.kind === "install-snapshot") {
      // Its data must be a received file (SnapshotCatchUp); inline data is an old sender's.
      this.log.warn({ from }, "dropped an install-snapshot that came without its file");
      return;
    }
    this.onPeerMessage(from, msg);
  }

  private onPeerMessage(from: number, msg: CoreMessage): void {
    if (msg.from !== from || !this.peers.has(from)) {
      this.log.warn({ from, claimed: msg.from }, "dropped a replica message from an unknown sender");
      return;
    }
    const peer = this.peers.get(from)!;
    this.peersLostLogged.delete(from);
    // A peer's new role (e.g. the winner's first append says "primary") changes whom this node
    // names as primary (believedPrimary): watching clients hear it now, not at the next commit.
    let changed = peer.role !== msg.status;
    peer.role = msg.status;
    peer.epoch = msg.epoch;
    peer.heardAtMs = monotonicMs();
    if (msg.kind === "pong") {
      peer.lastIndex = msg.lastIndex;
      changed ||= peer.loading !== (msg.loading === true);
      peer.loading = msg.loading === true;
    }
    if (msg.kind === "append-reply" && msg.success) peer.lastIndex = Math.max(peer.lastIndex, msg.matchIndex);
    this.step({ kind: "message", nowMs: monotonicMs(), msg });
    if (changed) this.listeners.emit("clusterChanged");
  }

  /**
   * A broken stream is the earliest sign of a crashed peer (milliseconds after kill -9, where
   * the next heartbeat probe may be 50 ms away): the core probes it at once. The core skips
   * the probe while a recent one to that peer is unanswered, however often its streams fail.
   */
  private onPeerLost(id: NodeId): void {
    if (!this.peersLostLogged.has(id)) {
      // Failover timeline (kill → stream break → refused probe → candidacy → barrier → serving).
      this.peersLostLogged.add(id);
      this.log.info({ peer: id }, "peer stream broke");
    }
    this.step({ kind: "peer-lost", nowMs: monotonicMs(), peer: id });
  }

  private markDown(id: NodeId): void {
    const peer = this.peers.get(id);
    if (!peer || peer.role === "down") return;
    peer.role = "down";
    this.log.info({ peer: id }, "peer refused a liveness connect (DEAD)");
    // Watching clients hear at once that this node no longer names a dead primary.
    this.listeners.emit("clusterChanged");
  }

  private addressOfPeer(id: NodeId): NodeAddress {
    const node = this.config.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`unknown node ${id}`);
    return node;
  }

  private addressOf(id: NodeId): string {
    return this.addressOfPeer(id).address;
  }
}

function channelOf(msg: CoreMessage): "control" | "data" {
  return msg.kind === "append" || msg.kind === "install-snapshot" ? "data" : "control";
}

function describe(view: View): string {
  return `(${view.id.epoch},${view.id.index})[${view.members.map((m) => m.nodeId).join(",")}]`;
}

/** The core's PRNG (sessions, incarnations, jitter), seeded from the OS once per process. */
function seededRandom(): () => number {
  const bytes = randomBytes(4096);
  let offset = 0;
  return () => {
    if (offset + 4 > bytes.length) {
      randomBytes(bytes.length).copy(bytes);
      offset = 0;
    }
    const value = bytes.readUInt32LE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
}
