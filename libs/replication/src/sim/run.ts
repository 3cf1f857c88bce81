// One simulator run per seed (VOPR style): a swarm of fault probabilities drawn from the seed, a
// safety phase with crashes (≤ 2 down at once), pauses, resets, slow disks and a lossy network
// while clients propose and retry, then a liveness phase (heal, all up) that must converge:
// a fresh command is acked and every replica reaches the same applied state.

import type { ExclusionMode, NodeId } from "../types.js";
import { Violation } from "./checker.js";
import { Rng } from "./prng.js";
import { type NetConfig, World } from "./world.js";

export interface RunOptions {
  readonly seed: number;
  readonly trace?: boolean;
  readonly safetyMs?: number;
  readonly livenessMs?: number;
  readonly exclusion?: ExclusionMode;
  /** Allow all nodes down at once (total failure, R18) — beyond the default fault budget. */
  readonly totalFailure?: boolean;
}

export interface RunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: string | null;
  readonly lines: readonly string[];
  readonly exclusion: ExclusionMode;
  readonly steps: number;
  readonly acked: number;
  readonly reads: number;
  readonly virtualMs: number;
  /** Primary killed (others healthy) → next client ack, per occurrence in the safety phase. */
  readonly failoverGapsMs: readonly number[];
  /** Disks damaged before their last intact marker (S4) in this run. */
  readonly damaged: number;
  /** The run ended with R18 waiting for a storage-faulted node's reach: expected (inv. 22). */
  readonly stalledByS4: boolean;
}

interface Swarm {
  readonly exclusion: ExclusionMode;
  readonly net: NetConfig;
  readonly crashW: number;
  readonly machineCrashP: number;
  readonly pauseW: number;
  readonly resetW: number;
  readonly stallW: number;
  readonly faultGapMs: number;
  readonly snapshotInterval: number;
  readonly clients: number;
}

function drawSwarm(rng: Rng, exclusion: ExclusionMode | undefined): Swarm {
  return {
    exclusion: exclusion ?? (rng.chance(0.25) ? "hard" : "timed"),
    net: {
      delayMsMin: 0,
      delayMsMax: rng.pick([1, 2, 5]),
      slowP: rng.pick([0, 0.01, 0.05]),
      slowMsMax: rng.pick([20, 100, 200]),
      dropP: rng.pick([0, 0.01, 0.05]),
      dupP: rng.pick([0, 0.01, 0.05]),
      reorderP: rng.pick([0, 0.01, 0.05]),
      peerLostP: rng.pick([0, 0.3, 1]),
      peerLostMsMax: rng.pick([1, 5, 16]),
    },
    crashW: rng.pick([0, 1, 2, 4]),
    machineCrashP: rng.pick([0, 0.3, 0.7]),
    pauseW: rng.pick([0, 1, 2, 4]),
    resetW: rng.pick([0, 1]),
    stallW: rng.pick([0, 1]),
    faultGapMs: rng.pick([150, 400, 1000]),
    snapshotInterval: rng.pick([16, 40, 10_000]),
    clients: rng.int(1, 4),
  };
}

const PAUSE_BUCKETS_MS: readonly (readonly [number, number])[] = [
  [5, 150],
  [150, 260],
  [600, 1100],
  [1100, 2500],
];

class Client {
  private seq = 0;
  /** The node that acked last: where the next command goes first (R22 follows the primary). */
  private lastGood: NodeId;
  private current: { requestId: string; attempt: number; node: NodeId; read: boolean } | null =
    null;
  stopped = false;
  pending = 0;

  constructor(
    private readonly world: World,
    private readonly rng: Rng,
    readonly id: number,
    private readonly onInvoke: (requestId: string) => void
  ) {
    this.lastGood = rng.int(0, world.nodes.length - 1);
  }

  next(): void {
    if (this.stopped || this.current !== null) return;
    const read = this.rng.chance(0.2);
    const requestId = `c${this.id}.${read ? "r" : ""}${++this.seq}`;
    this.current = { requestId, attempt: 0, node: this.lastGood, read };
    this.pending++;
    if (!read) this.onInvoke(requestId);
    this.world.replyHandlers.set(requestId, (node, outcome) => {
      const cur = this.current;
      if (cur === null || cur.requestId !== requestId) return;
      if (outcome.kind === "ok" || outcome.kind === "read-ok") {
        this.lastGood = node;
        this.current = null;
        this.pending--;
        this.world.replyHandlers.delete(requestId);
        this.world.schedule(this.world.nowMs + this.rng.int(1, 30), () => this.next());
      } else {
        const hint = outcome.kind === "not-primary" ? outcome.hintNodeId : null;
        cur.node = hint ?? (node + 1) % this.world.nodes.length;
        this.retryLater(this.rng.int(10, 40));
      }
    });
    this.attempt();
  }

  private retryLater(ms: number): void {
    const cur = this.current!;
    const attempt = ++cur.attempt;
    this.world.schedule(this.world.nowMs + ms, () => {
      if (this.current === cur && cur.attempt === attempt) this.attempt();
    });
  }

  private attempt(): void {
    const cur = this.current!;
    const attempt = ++cur.attempt;
    // R22: retry the same request id, on the hinted or the next node.
    const payload = { key: `k${this.id}`, value: this.seq };
    const delayMs = this.rng.int(0, 2);
    const sent = cur.read
      ? this.world.read(cur.node, cur.requestId, delayMs)
      : this.world.propose(cur.node, cur.requestId, payload, delayMs);
    if (!sent) {
      cur.node = (cur.node + 1) % this.world.nodes.length;
      this.retryLater(this.rng.int(5, 20));
      return;
    }
    this.world.schedule(this.world.nowMs + 300, () => {
      if (this.current !== cur || cur.attempt !== attempt) return;
      cur.node = (cur.node + 1) % this.world.nodes.length;
      this.attempt();
    });
  }
}

export function runSeed(opts: RunOptions): RunResult {
  const seed = opts.seed;
  const root = new Rng(seed);
  const swarm = drawSwarm(root.fork("swarm"), opts.exclusion);
  const nemesis = root.fork("nemesis");
  // Its own stream, so seeds without damage replay as before S4 was modelled.
  const damage = root.fork("damage");
  const damageP = damage.pick([0, 0, 0.2, 0.5]);
  const workload = root.fork("workload");
  // A restarted host loads its state machine for a while (refinement 22); its own stream too.
  const loading = root.fork("loading");
  const loadingMsMax = loading.pick([0, 0, 300, 1500]);
  // Small catch-up windows (ack-clocked appends) in half the seeds; its own stream too.
  const inFlight = root.fork("window").pick([0, 0, 4, 32]);
  const world = new World({
    seed,
    nodeCount: 3,
    exclusion: swarm.exclusion,
    net: swarm.net,
    fsyncMsMin: 0,
    fsyncMsMax: 4,
    snapshotInterval: swarm.snapshotInterval,
    ...(inFlight > 0 ? { entriesInFlightMax: inFlight } : {}),
    localProbeFailureP: 0.01,
    trace: opts.trace ?? false,
  });
  const safetyMs = opts.safetyMs ?? 6000;
  const livenessMs = opts.livenessMs ?? 20_000;
  world.note(`seed=${seed} swarm=${JSON.stringify(swarm)} window=${inFlight || "default"}`);
  let healedAtMs = Infinity;
  let freshAcked = false;
  const freshIds = new Set<string>();
  const clients: Client[] = [];
  for (let k = 0; k < swarm.clients; k++) {
    clients.push(
      new Client(world, workload.fork(`client${k}`), k, (id) => {
        if (world.nowMs >= healedAtMs) freshIds.add(id);
      })
    );
  }
  let damaged = 0;
  const restart = (id: NodeId): void => {
    if (damageP > 0 && damage.chance(damageP) && !world.nodes.some((n) => n.holdsExempt)) {
      world.corrupt(id);
      if (world.nodes[id]!.holdsExempt) damaged++;
    }
    world.start(id);
    if (loadingMsMax > 0) world.loadState(id, loading.int(0, loadingMsMax));
  };
  const result = (violation: string | null, stalledByS4 = false): RunResult => ({
    seed,
    ok: violation === null,
    violation,
    lines: world.lines,
    exclusion: swarm.exclusion,
    steps: world.steps,
    acked: world.checker.acked.size,
    reads: world.checker.reads,
    virtualMs: world.nowMs,
    failoverGapsMs: world.failoverGapsMs,
    damaged,
    stalledByS4,
  });
  try {
    for (const n of world.nodes) world.start(n.id);
    world.schedule(100, () => clients.forEach((c) => c.next()));
    scheduleFaults(world, nemesis, swarm, safetyMs, opts.totalFailure === true ? 3 : 2, restart);
    world.runUntil(safetyMs);
    // Liveness phase: heal everything, all up, then require convergence.
    world.failoverFromMs = null;
    world.note("heal");
    healedAtMs = world.nowMs;
    world.blocked.clear();
    for (const n of world.nodes) {
      world.stallFsync(n.id, false);
      if (n.paused) world.resume(n.id);
      if (!n.up) world.start(n.id);
    }
    for (const c of clients) c.next();
    const deadline = healedAtMs + livenessMs;
    while (world.nowMs < deadline) {
      world.runUntil(world.nowMs + 100);
      if (!freshAcked && [...freshIds].some((id) => world.checker.acked.has(id))) {
        freshAcked = true;
        for (const c of clients) c.stopped = true;
      }
      if (freshAcked && clients.every((c) => c.pending === 0) && converged(world)) {
        checkFinal(world);
        return result(null);
      }
    }
    if (stalledByDamage(world)) return result(null, true);
    const why = !freshAcked ? "no fresh command acked" : "replicas did not converge";
    return result(`liveness: ${why} within ${livenessMs}ms of healing; ${describeNodes(world)}`);
  } catch (e) {
    if (e instanceof Violation) return result(e.message);
    throw e;
  }
}

function scheduleFaults(
  world: World,
  rng: Rng,
  swarm: Swarm,
  untilMs: number,
  downMax: number,
  restart: (id: NodeId) => void
): void {
  const total = swarm.crashW + swarm.pauseW + swarm.resetW + swarm.stallW;
  if (total === 0) return;
  const fault = (): void => {
    if (world.nowMs >= untilMs) return;
    let x = rng.next() * total;
    const up = world.nodes.filter((n) => n.up);
    if ((x -= swarm.crashW) < 0) {
      const down = world.nodes.length - up.length;
      const primary = up.find((n) => n.role === "primary");
      const victim =
        primary !== undefined && rng.chance(0.5) ? primary : up.length > 0 ? rng.pick(up) : null;
      if (down < downMax && victim !== null) {
        const healthy = up.filter((n) => n !== victim && !n.paused).length === 2;
        if (victim.role === "primary" && healthy) world.failoverFromMs ??= world.nowMs;
        else world.failoverFromMs = null;
        world.crash(victim.id, rng.chance(swarm.machineCrashP));
        const back = world.nowMs + rng.pick([rng.int(10, 300), rng.int(300, 3000)]);
        world.schedule(back, () => {
          if (world.nowMs < untilMs) restart(victim.id);
        });
      }
    } else if ((x -= swarm.pauseW) < 0) {
      const candidates = up.filter((n) => !n.paused);
      if (candidates.length > 0) {
        const primary = candidates.find((n) => n.role === "primary");
        const victim = primary !== undefined && rng.chance(0.4) ? primary : rng.pick(candidates);
        const [lo, hi] = rng.pick(PAUSE_BUCKETS_MS);
        world.pause(victim.id);
        const gen = victim.gen;
        world.schedule(world.nowMs + rng.int(lo, hi), () => {
          if (victim.gen === gen) world.resume(victim.id);
        });
      }
    } else if ((x -= swarm.resetW) < 0) {
      const a = rng.int(0, world.nodes.length - 1);
      const b = (a + rng.int(1, world.nodes.length - 1)) % world.nodes.length;
      world.resetConnection(a, b);
      world.note(`reset n${a}<->n${b}`);
    } else {
      const n = rng.pick(world.nodes);
      world.stallFsync(n.id, true);
      world.note(`n${n.id} slow fsync`);
      world.schedule(world.nowMs + rng.int(10, 400), () => world.stallFsync(n.id, false));
    }
    world.schedule(world.nowMs + rng.int(1, 2 * swarm.faultGapMs), fault);
  };
  world.schedule(rng.int(200, 1000), fault);
}

function converged(world: World): boolean {
  const rs = world.nodes.map((n) => n.replica);
  if (rs.some((r) => r === null)) return false;
  const st = rs.map((r) => r!.status());
  if (st.filter((s) => s.role === "primary").length !== 1) return false;
  if (st.some((s) => s.role !== "primary" && s.role !== "backup")) return false;
  const p = st.find((s) => s.role === "primary")!;
  if (p.commitIndex !== p.lastIndex) return false;
  if (p.view.members.length !== world.nodes.length) return false;
  return (
    st.every((s) => s.appliedIndex === p.lastIndex && s.lastIndex === p.lastIndex) &&
    world.nodes.every((n) => n.sm.digest === world.nodes[0]!.sm.digest)
  );
}

/**
 * inv. 22: R18 waits, by design, while a storage-faulted node may hold records past N* (S4):
 * nobody is primary and a recovering node names that wait. Not a liveness failure.
 */
function stalledByDamage(world: World): boolean {
  const st = world.nodes.map((n) => n.replica?.status());
  if (st.some((s) => s === undefined || s.role === "primary")) return false;
  return st.some((s) => s!.role === "recovering" && s!.waitReason.includes("damaged"));
}

/** §5.1 #1, #2 at the end: every acked command is applied, once, on every replica. */
function checkFinal(world: World): void {
  for (const [requestId, index] of world.checker.acked) {
    for (const n of world.nodes) {
      if (!n.sm.seen.has(requestId)) {
        world.checker.fail(`lost ack: ${requestId} (acked at ${index}) missing on n${n.id}`);
      }
    }
  }
}

export function describeNodes(world: World): string {
  return world.nodes
    .map((n) => {
      if (n.replica === null) return `n${n.id}:down`;
      const s = n.replica.status();
      return (
        `n${n.id}:${s.role} e${s.epoch} commit=${s.commitIndex} last=${s.lastIndex}/e${s.lastEpoch} ` +
        `view={${s.view.members.map((m) => m.nodeId).join(",")}}@${s.view.id.epoch}.${
          s.view.id.index
        }` +
        (s.storageFaulted ? " storage-faulted" : "") +
        (s.role === "recovering" || s.role === "joining" ? ` (${s.waitReason})` : "")
      );
    })
    .join(" | ");
}
