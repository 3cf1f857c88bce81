// The simulated world: N replicas driven by one virtual clock and a priority queue of
// (time, seq) events; a network of per-connection FIFO streams with delay, drops, duplicates,
// reorders and resets; a disk per node (storage.ts); process and machine crashes, restarts
// (new incarnation → recovering) and SIGSTOP-style pauses (connect succeeds, nothing runs, the
// clock keeps going, queued input is delivered first on resume). Checkers run after every step.

import { describeAction, describeEvent } from "../describe.js";
import { TIMING_DEFAULT } from "../limits.js";
import { Replica } from "../replica.js";
import type {
  Action,
  Event,
  ExclusionMode,
  LogEntry,
  Message,
  NodeId,
  Proposal,
  ReplyOutcome,
  Role,
  StorageFault,
} from "../types.js";
import { Checker, type CheckedNode, Violation } from "./checker.js";
import { EventQueue } from "./heap.js";
import { Rng } from "./prng.js";
import { type ToySnapshot, ToyStateMachine } from "./state-machine.js";
import { type DiskOp, imageTerm, SimStorage } from "./storage.js";

export interface NetConfig {
  delayMsMin: number;
  delayMsMax: number;
  /** Probability that a message takes a slow path (up to slowMsMax; in model: RTT < D_max). */
  slowP: number;
  slowMsMax: number;
  dropP: number;
  dupP: number;
  reorderP: number;
  /**
   * A broken stream (`peer-lost`, the host's hint to probe at once): how likely a peer's crash,
   * a connection reset or a send to a down peer produces one, and its delay (kill → socket
   * close measured at 1–16 ms, REPLICATION.md §7.2). 0 leaves failure detection to the
   * heartbeat probes.
   */
  peerLostP: number;
  peerLostMsMax: number;
}

export interface WorldConfig {
  seed: number;
  nodeCount: number;
  exclusion: ExclusionMode;
  net: NetConfig;
  fsyncMsMin: number;
  fsyncMsMax: number;
  snapshotInterval: number;
  /** The primaries' catch-up window (entries past a peer's ack); the core's default if unset. */
  entriesInFlightMax?: number;
  localProbeFailureP: number;
  /** Keep a full step trace (events and actions) in `lines`. */
  trace: boolean;
}

export const NET_CALM: NetConfig = {
  delayMsMin: 1,
  delayMsMax: 1,
  slowP: 0,
  slowMsMax: 0,
  dropP: 0,
  dupP: 0,
  reorderP: 0,
  peerLostP: 1,
  peerLostMsMax: 1,
};

export class SimNode implements CheckedNode {
  replica: Replica | null = null;
  up = false;
  paused = false;
  gen = 0;
  inbox: (() => Event)[] = [];
  readonly sm = new ToyStateMachine();
  role: Role | "down" = "down";
  storage: SimStorage;
  wipes = 0;
  /** S4: its disk was damaged and it has not been current since, so it may lack committed
   * entries it once held (checkViewHolds skips it; the other members still hold them). */
  holdsExempt = false;
  readonly coreRng: Rng;
  tickPhaseMs: number;

  constructor(readonly id: NodeId, storageId: string, coreRng: Rng, tickPhaseMs: number) {
    this.storage = new SimStorage(storageId);
    this.coreRng = coreRng;
    this.tickPhaseMs = tickPhaseMs;
  }
  get durable() {
    return this.storage.durable;
  }
  get written() {
    return this.storage.written;
  }
  get storageId(): string {
    return this.storage.storageId;
  }
}

export type ReplyHandler = (node: NodeId, outcome: ReplyOutcome) => void;

export class World {
  nowMs = 0;
  readonly queue = new EventQueue();
  readonly nodes: SimNode[] = [];
  readonly checker = new Checker();
  readonly lines: string[] = [];
  /** Receives the notable lines (roles, replies, faults) — scenario output. */
  onNote: ((line: string) => void) | null = null;
  /** Sees every message a core sends, before the network decides its fate (tests' tap). */
  onSend: ((from: NodeId, to: NodeId, msg: Message) => void) | null = null;
  readonly blocked = new Set<string>();
  readonly replyHandlers = new Map<string, ReplyHandler>();
  readonly cfg: WorldConfig;
  private readonly netRng: Rng;
  private readonly diskRng: Rng;
  private readonly connGen = new Map<string, number>();
  private readonly lastDeliverMs = new Map<string, number>();
  steps = 0;
  /** Failover measurement: set when the primary is killed with both others healthy. */
  failoverFromMs: number | null = null;
  readonly failoverGapsMs: number[] = [];

  constructor(cfg: WorldConfig) {
    this.cfg = cfg;
    const root = new Rng(cfg.seed);
    this.netRng = root.fork("network");
    this.diskRng = root.fork("storage");
    const coreRoot = root.fork("core");
    for (let id = 0; id < cfg.nodeCount; id++) {
      const phase =
        cfg.trace || cfg.net.delayMsMax > 1 ? coreRoot.int(0, TIMING_DEFAULT.tickMs - 1) : 0;
      this.nodes.push(new SimNode(id, `d${id}.0`, coreRoot.fork(`node${id}`), phase));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Running.

  schedule(atMs: number, fire: () => void): void {
    this.queue.push(Math.max(atMs, this.nowMs), fire);
  }

  runUntil(tMs: number): void {
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > tMs) break;
      const item = this.queue.pop()!;
      this.nowMs = item.atMs;
      item.fire();
    }
    this.nowMs = Math.max(this.nowMs, tMs);
  }

  note(line: string): void {
    const text = `t=${this.nowMs} ${line}`;
    if (this.cfg.trace) this.lines.push(text);
    this.onNote?.(line);
  }

  // -------------------------------------------------------------------------------------------
  // Node lifecycle and faults.

  start(id: NodeId): void {
    const n = this.nodes[id]!;
    if (n.up) return;
    n.gen++;
    n.up = true;
    n.paused = false;
    n.inbox = [];
    const d = n.storage.durable;
    n.sm.restore(d.snapshot?.data);
    const snapshot = d.snapshot?.meta;
    const intact = d.damagedFrom === null ? d.entries : d.entries.filter((e) => e.index < d.damagedFrom!);
    n.replica = new Replica(
      {
        nodeId: id,
        members: this.nodes.map((x) => ({ nodeId: x.id })),
        exclusion: this.cfg.exclusion,
        random: () => n.coreRng.next(),
        snapshotIntervalEntries: this.cfg.snapshotInterval,
        ...(this.cfg.entriesInFlightMax !== undefined ? { entriesInFlightMax: this.cfg.entriesInFlightMax } : {}),
      },
      {
        storageId: n.storageId,
        epoch: d.epoch,
        votedFor: d.votedFor,
        entries: intact,
        commitHint: d.commitHint,
        ...(snapshot !== undefined ? { snapshot } : {}),
        ...(d.damagedFrom !== null ? { storageFault: storageFaultOf(d.entries, d.damagedFrom) } : {}),
        ...(d.damagedReach !== null ? { damagedReach: d.damagedReach } : {}),
      }
    );
    this.note(`n${id} start`);
    const gen = n.gen;
    const loop = (): void => {
      if (!n.up || n.gen !== gen) return;
      if (!n.paused) this.step(n, { kind: "tick", nowMs: this.nowMs });
      this.schedule(this.nowMs + TIMING_DEFAULT.tickMs, loop);
    };
    this.schedule(this.nowMs + n.tickPhaseMs, loop);
  }

  crash(id: NodeId, machine: boolean): void {
    const n = this.nodes[id]!;
    if (!n.up) return;
    n.up = false;
    n.paused = false;
    n.replica = null;
    n.inbox = [];
    n.role = "down";
    if (machine) n.storage.machineCrash(this.diskRng.chance(0.5));
    else {
      n.storage.processCrash();
      const d = n.storage.durable;
      this.checker.onDurableHardState(id, n.storageId, d.epoch, d.votedFor);
    }
    this.note(`n${id} ${machine ? "machine-crash" : "crash"}`);
    // A crashed process's sockets close: streams and kept liveness connections alike (a
    // crashed machine's do not close, but its streams are modelled as breaking all the same).
    for (const other of this.nodes) if (other.id !== id) this.peerLost(other, id, !machine);
    this.checker.checkViewHolds(this.nodes, `after crash of n${id}`);
  }

  /**
   * S4: a down node's disk gets a damaged record before its last intact marker: record `index`
   * if given (and held above the snapshot), else one drawn from the storage stream.
   */
  corrupt(id: NodeId, index?: number): boolean {
    const n = this.nodes[id]!;
    if (n.up) return false;
    const from = n.storage.corrupt((count) => {
      if (index === undefined) return this.diskRng.int(0, count - 1);
      const k = n.storage.durable.entries.findIndex((e) => e.index === index);
      return k >= 0 ? k : count;
    });
    if (from === null) return false;
    n.holdsExempt = true;
    this.note(`n${id} disk damaged at ${from} (S4)`);
    return true;
  }

  /** Disk loss: the node is down and comes back with an empty disk and a new storageId (R20). */
  wipe(id: NodeId): void {
    const n = this.nodes[id]!;
    this.crash(id, true);
    n.storage = new SimStorage(`d${id}.${++n.wipes}`);
    this.note(`n${id} wipe -> ${n.storageId}`);
  }

  pause(id: NodeId): void {
    const n = this.nodes[id]!;
    if (!n.up || n.paused) return;
    n.paused = true;
    this.note(`n${id} pause`);
  }

  resume(id: NodeId): void {
    const n = this.nodes[id]!;
    if (!n.up || !n.paused) return;
    n.paused = false;
    this.note(`n${id} resume`);
    const gen = n.gen;
    // SIGCONT: queued I/O runs before timers (R8: the guard must trip on the first callback).
    while (n.inbox.length > 0 && n.up && n.gen === gen && !n.paused) {
      this.step(n, n.inbox.shift()!());
    }
  }

  resetConnection(a: NodeId, b: NodeId): void {
    for (const k of [`${a}>${b}`, `${b}>${a}`]) this.connGen.set(k, (this.connGen.get(k) ?? 0) + 1);
    this.peerLost(this.nodes[a]!, b);
    this.peerLost(this.nodes[b]!, a);
  }

  /** `n`'s stream to `peer` broke: the host hands the core a `peer-lost` hint (R7). */
  private peerLost(n: SimNode, peer: NodeId, livenessClosed = false): void {
    const net = this.cfg.net;
    if (!n.up || n.id === peer || net.peerLostP <= 0 || !this.netRng.chance(net.peerLostP)) return;
    const gen = n.gen;
    this.schedule(this.nowMs + this.netRng.int(1, Math.max(1, net.peerLostMsMax)), () =>
      this.deliver(n, gen, () => ({ kind: "peer-lost", nowMs: this.nowMs, peer, livenessClosed }))
    );
  }

  stallFsync(id: NodeId, stalled: boolean): void {
    const n = this.nodes[id]!;
    n.storage.stalled = stalled;
    if (!stalled) this.maybeFsync(n);
  }

  // -------------------------------------------------------------------------------------------
  // Input to nodes.

  private deliver(n: SimNode, gen: number, make: () => Event): void {
    if (!n.up || n.gen !== gen) return;
    if (n.paused) n.inbox.push(make);
    else this.step(n, make());
  }

  private step(n: SimNode, ev: Event): void {
    const r = n.replica!;
    let actions: Action[];
    try {
      actions = r.step(ev);
    } catch (e) {
      if (e instanceof Violation) throw e;
      this.checker.fail(`n${n.id} core assertion: ${(e as Error).message}`);
      return;
    }
    this.steps++;
    if (this.cfg.trace && ev.kind !== "tick")
      this.lines.push(`t=${this.nowMs} n${n.id} ${describeEvent(ev)}`);
    for (const a of actions) {
      if (
        this.cfg.trace &&
        a.kind !== "probe" &&
        !(a.kind === "send" && (a.msg.kind === "ping" || a.msg.kind === "pong"))
      ) {
        this.lines.push(`t=${this.nowMs} n${n.id}   > ${describeAction(a)}`);
      }
      this.exec(n, a);
      if (!n.up || n.replica !== r) return;
    }
    this.maybeFsync(n);
    this.checker.afterStep(n, this.nodes);
  }

  /** Minimum index each read must reflect, fixed when the client first invoked it. */
  readonly readFloors = new Map<string, number>();

  /** The host loads its state machine for `ms` (refinement 22): `state-loading` now, done after. */
  loadState(id: NodeId, ms: number): void {
    const n = this.nodes[id]!;
    const gen = n.gen;
    this.deliver(n, gen, () => ({ kind: "state-loading", nowMs: this.nowMs, loading: true }));
    this.schedule(this.nowMs + ms, () =>
      this.deliver(n, gen, () => ({ kind: "state-loading", nowMs: this.nowMs, loading: false })));
  }

  /** R18's operator override, delivered now (the sim never does this on its own: it may lose acks). */
  recoverUnclean(id: NodeId): boolean {
    const n = this.nodes[id]!;
    if (!n.up) return false;
    this.deliver(n, n.gen, () => ({ kind: "recover-unclean", nowMs: this.nowMs }));
    return true;
  }

  read(id: NodeId, requestId: string, delayMs: number): boolean {
    const n = this.nodes[id]!;
    if (!this.readFloors.has(requestId)) this.readFloors.set(requestId, this.checker.maxAckedIndex);
    if (!n.up) return false;
    const gen = n.gen;
    this.schedule(this.nowMs + delayMs, () =>
      this.deliver(n, gen, () => ({ kind: "read", nowMs: this.nowMs, requestId }))
    );
    return true;
  }

  /** Proposals due at one node at one instant, delivered as one batch (as the host does). */
  private readonly proposalBatches = new Map<string, Proposal[]>();

  propose(id: NodeId, requestId: string, payload: unknown, delayMs: number): boolean {
    const n = this.nodes[id]!;
    if (!n.up) return false;
    const gen = n.gen;
    const atMs = this.nowMs + delayMs;
    const key = `${id}/${gen}/${atMs}`;
    const batch = this.proposalBatches.get(key);
    if (batch !== undefined) {
      batch.push({ requestId, payload });
      return true;
    }
    const proposals: Proposal[] = [{ requestId, payload }];
    this.proposalBatches.set(key, proposals);
    this.schedule(atMs, () => {
      this.proposalBatches.delete(key);
      this.deliver(n, gen, () =>
        proposals.length === 1
          ? { kind: "propose", nowMs: this.nowMs, requestId, payload }
          : { kind: "propose-batch", nowMs: this.nowMs, proposals }
      );
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Executing actions (the host's job), strictly in order.

  private exec(n: SimNode, a: Action): void {
    switch (a.kind) {
      case "persist-entries": {
        const first = a.entries[0];
        if (first !== undefined) {
          this.checker.onWrite(
            n.id,
            a.entries,
            imageTerm(n.storage.written, first.index - 1) ?? -1
          );
        }
        if (n.role === "primary" && n.replica !== null) {
          const r = n.replica;
          for (const e of a.entries) {
            if (e.kind !== "view") continue;
            const prev = r.viewAt(e.index - 1);
            this.checker.onViewAppend(n.id, prev, e, prev.id.index > r.status().commitIndex);
          }
        }
        this.write(n, {
          kind: "entries",
          entries: a.entries,
          commitHint: a.commitHint,
          token: a.token,
        });
        return;
      }
      case "persist-truncate":
        this.write(n, { kind: "truncate", afterIndex: a.afterIndex, token: a.token });
        return;
      case "persist-hard-state":
        this.write(n, { kind: "hard", epoch: a.epoch, votedFor: a.votedFor,
          ...(a.damagedReach !== undefined ? { damagedReach: a.damagedReach } : {}), token: a.token });
        return;
      case "install-snapshot": {
        const data = a.data as ToySnapshot;
        n.sm.restore(data);
        this.write(n, {
          kind: "install",
          meta: a.snapshot,
          data,
          retain: a.retainLog,
          token: a.token,
        });
        return;
      }
      case "send":
        this.send(n.id, a.to, a.msg);
        return;
      case "send-snapshot": {
        // The host attaches its latest snapshot (possibly newer than the core's base: any
        // snapshot is committed state) with the metadata that matches the data.
        const snap = n.storage.written.snapshot;
        if (snap === null || a.msg.kind !== "install-snapshot") return;
        this.send(n.id, a.to, { ...a.msg, snapshot: snap.meta, data: snap.data });
        return;
      }
      case "probe":
        this.probe(n, a.peer, a.nonce);
        return;
      case "apply":
        for (const e of a.entries) {
          n.sm.apply(e);
          this.checker.onApplied(n.id, e.index, n.sm.digest);
        }
        n.sm.index = a.throughIndex;
        return;
      case "reply": {
        const role = n.role === "down" ? "recovering" : n.role;
        if (a.outcome.kind === "ok") {
          this.checker.afterStep(n, this.nodes);
          this.checker.onClientOk(n.id, role, a.requestId, a.outcome.index);
          if (this.failoverFromMs !== null) {
            this.failoverGapsMs.push(this.nowMs - this.failoverFromMs);
            this.failoverFromMs = null;
          }
        } else if (a.outcome.kind === "read-ok") {
          this.checker.afterStep(n, this.nodes);
          const floor = this.readFloors.get(a.requestId) ?? 0;
          this.checker.onReadOk(n.id, role, a.requestId, a.outcome.index, floor);
        }
        this.note(
          `n${n.id} reply ${a.requestId} ${a.outcome.kind}` +
            (a.outcome.kind === "ok" || a.outcome.kind === "read-ok" ? ` ${a.outcome.index}` : "")
        );
        const h = this.replyHandlers.get(a.requestId);
        const outcome = a.outcome;
        if (h !== undefined) this.schedule(this.nowMs + 1, () => h(n.id, outcome));
        return;
      }
      case "role":
        n.role = a.role;
        if (a.role === "backup" || a.role === "primary") n.holdsExempt = false;
        this.note(
          `n${n.id} ${a.role} e${a.epoch}` +
            (a.primaryId !== null && a.role !== "primary" ? ` primary=n${a.primaryId}` : "") +
            ` view={${a.view.members.map((m) => `n${m.nodeId}`).join(",")}} (${a.reason})`
        );
        this.checker.onRole(n, a.role, a.epoch);
        return;
      case "compact": {
        if (n.sm.index !== a.throughIndex)
          this.checker.fail(`n${n.id} compact at ${a.throughIndex} but applied ${n.sm.index}`);
        this.write(n, {
          kind: "save-snapshot",
          meta: a.snapshot,
          data: n.sm.snapshot(),
          token: null,
        });
        return;
      }
    }
  }

  private write(n: SimNode, op: DiskOp): void {
    n.storage.write(op);
  }

  private maybeFsync(n: SimNode): void {
    const g = n.storage.startFsync();
    if (g === null) return;
    const gen = n.gen;
    const ms = this.diskRng.int(this.cfg.fsyncMsMin, this.cfg.fsyncMsMax);
    this.schedule(this.nowMs + ms, () => {
      const ops = n.storage.completeFsync(g);
      if (ops === null) return;
      for (const op of ops) {
        if (op.kind === "hard")
          this.checker.onDurableHardState(n.id, n.storageId, op.epoch, op.votedFor);
      }
      this.checker.checkViewHolds(this.nodes, `fsync of n${n.id}`);
      for (const op of ops) {
        if (op.token !== null) {
          const token = op.token;
          this.deliver(n, gen, () => ({ kind: "persisted", nowMs: this.nowMs, token }));
        } else if (op.kind === "save-snapshot") {
          const index = op.meta.index;
          this.deliver(n, gen, () => ({ kind: "snapshot-ready", nowMs: this.nowMs, index }));
        }
      }
      if (n.up && n.gen === gen) this.maybeFsync(n);
    });
  }

  private send(from: NodeId, to: NodeId, msg: Message): void {
    this.onSend?.(from, to, msg);
    const key = `${from}>${to}`;
    const dest = this.nodes[to];
    if (dest === undefined || this.blocked.has(key)) return;
    if (!dest.up) {
      // A send on a stream to a dead process fails at once (grpc-js: UNAVAILABLE).
      this.peerLost(this.nodes[from]!, to);
      return;
    }
    const net = this.cfg.net;
    const rng = this.netRng;
    if (net.dropP > 0 && rng.chance(net.dropP)) return;
    let delay = rng.int(net.delayMsMin, net.delayMsMax);
    if (net.slowP > 0 && rng.chance(net.slowP)) delay = rng.int(net.delayMsMin, net.slowMsMax);
    const reorder = net.reorderP > 0 && rng.chance(net.reorderP);
    let at = this.nowMs + delay;
    if (!reorder) {
      at = Math.max(at, this.lastDeliverMs.get(key) ?? 0);
      this.lastDeliverMs.set(key, at);
    }
    const cg = this.connGen.get(key) ?? 0;
    const gen = dest.gen;
    const fire = (): void => {
      if ((this.connGen.get(key) ?? 0) !== cg) return;
      this.deliver(dest, gen, () => ({ kind: "message", nowMs: this.nowMs, msg }));
    };
    this.schedule(at, fire);
    if (net.dupP > 0 && rng.chance(net.dupP))
      this.schedule(at + rng.int(0, net.delayMsMax * 3), fire);
  }

  /** A fresh TCP connect to the peer's liveness port: refused iff its process is gone (R7). */
  private probe(n: SimNode, peer: NodeId, nonce: string): void {
    const gen = n.gen;
    const dest = this.nodes[peer]!;
    if (this.cfg.localProbeFailureP > 0 && this.netRng.chance(this.cfg.localProbeFailureP)) {
      this.schedule(this.nowMs + 1, () =>
        this.deliver(n, gen, () => ({
          kind: "probe-result",
          nowMs: this.nowMs,
          peer,
          nonce,
          outcome: "local-failure",
        }))
      );
      return;
    }
    this.schedule(this.nowMs + 1, () => {
      // A paused process still accepts connects: only a process that is gone refuses.
      const outcome = dest.up ? "connected" : "refused";
      this.deliver(n, gen, () => ({ kind: "probe-result", nowMs: this.nowMs, peer, nonce, outcome }));
    });
  }
}

/** What the storage reports for an image damaged from `from` (libs/storage `Corruption`). */
function storageFaultOf(entries: readonly LogEntry[], from: number): StorageFault {
  const last = entries[entries.length - 1]!;
  // The last record's epoch is readable only when the damage is before it.
  return {
    firstDamagedIndex: from,
    lastIndexReached: last.index,
    ...(last.index > from ? { lastEpochReached: last.epoch } : {}),
  };
}
