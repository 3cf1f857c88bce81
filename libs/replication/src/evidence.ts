// Failure evidence about peers (R7): identity and incarnations seen, DEAD (refused fresh
// connects, new incarnations), STEPPED-DOWN, contact times for SILENT, and fresh probe answers
// (nonce + pauseEpoch echo, counted once, at the probe's send time). Pure bookkeeping: the
// replica decides what the evidence means for its role.

import type { Timing } from "./limits.js";
import { PROBES_OUTSTANDING_MAX } from "./limits.js";
import type { LogInfo } from "./recovery.js";
import {
  assert,
  type ExclusionMode,
  type Member,
  type Message,
  type NodeId,
  type ProbeOutcome,
  type Role,
} from "./types.js";

export const NEVER = -Infinity;

export interface Answer extends LogInfo {
  /** Send time of the probe this answers. */
  readonly atMs: number;
  /** Our own last index when we sent that probe: compares logs at (nearly) one instant. */
  readonly ownLastIndex: number;
  /** The peer's state machine was loading (refinement 22). */
  readonly loading: boolean;
}

export interface PeerState {
  /** Last fresh contact of any kind (a pong counts at its probe's send time). */
  contactMs: number;
  /** Last fresh message in which this peer reported itself primary of our primary's epoch. */
  primaryContactMs: number;
  /** Every process of this peer known alive before this time is gone (DEAD). */
  deadMs: number;
  /** Highest epoch this peer said it no longer acts as primary in (STEPPED-DOWN). */
  steppedDownEpoch: number;
  incarnations: string[];
  storageId: string | null;
  session: string | null;
  status: Role | null;
  statusEpoch: number;
  /** Send times of recent probes that did not fail locally. */
  probeSentMs: number[];
  /** Send time of the latest probe whose connect was refused. */
  refusedSentMs: number;
  answer: Answer | null;
  /** Sessions heard from this peer's newest incarnation. */
  sessionsSeen: string[];
  /** Sessions heard from incarnations since replaced, with when the replacement was seen. */
  replacedSessions: { readonly session: string; readonly atMs: number }[];
}

interface Outstanding {
  readonly peer: NodeId;
  readonly sentMs: number;
  readonly pauseEpoch: number;
  readonly ownLastIndex: number;
  /** The probe's connect was accepted (the pong may still come). */
  connected: boolean;
}

const INCARNATIONS_MAX = 8;
/** Sessions remembered per peer: a session changes only at a start, a pause or a leave. */
const SESSIONS_MAX = 16;

export class Peers {
  private readonly table = new Map<NodeId, PeerState>();
  private readonly outstanding = new Map<string, Outstanding>();
  private counter = 0;

  constructor(
    readonly ids: readonly NodeId[],
    private readonly incarnation: string,
    private readonly t: Timing,
    private readonly exclusion: ExclusionMode
  ) {
    for (const id of ids) this.table.set(id, newPeerState());
  }

  has(id: NodeId): boolean {
    return this.table.has(id);
  }

  get(id: NodeId): PeerState {
    const p = this.table.get(id);
    assert(p !== undefined, `n${id} is a member`);
    return p;
  }

  newNonce(): string {
    return `${this.incarnation}.${++this.counter}`;
  }

  /** Identity, incarnation (DEAD), status (STEPPED-DOWN) and contact, from any message. */
  note(msg: Message, nowMs: number, reportsPrimary: boolean): void {
    const p = this.get(msg.from);
    p.storageId = msg.storageId;
    p.session = msg.session;
    p.status = msg.status;
    p.statusEpoch = msg.epoch;
    if (!p.incarnations.includes(msg.incarnation)) {
      if (p.incarnations.length > 0) {
        p.deadMs = Math.max(p.deadMs, nowMs);
        for (const session of p.sessionsSeen) p.replacedSessions.push({ session, atMs: nowMs });
        p.replacedSessions.splice(0, Math.max(0, p.replacedSessions.length - SESSIONS_MAX));
      }
      p.sessionsSeen = [];
      p.incarnations.push(msg.incarnation);
      if (p.incarnations.length > INCARNATIONS_MAX) p.incarnations.shift();
    }
    if (msg.incarnation === p.incarnations.at(-1) && !p.sessionsSeen.includes(msg.session)) {
      p.sessionsSeen.push(msg.session);
      if (p.sessionsSeen.length > SESSIONS_MAX) p.sessionsSeen.shift();
    }
    if (msg.status === "recovering" || msg.status === "joining") {
      p.steppedDownEpoch = Math.max(p.steppedDownEpoch, msg.epoch);
    }
    if (msg.kind === "stepped-down") {
      p.steppedDownEpoch = Math.max(p.steppedDownEpoch, msg.steppedEpoch);
    }
    if (msg.kind !== "pong") {
      p.contactMs = nowMs;
      if (reportsPrimary) p.primaryContactMs = nowMs;
    }
  }

  /**
   * DEAD evidence against `member` as a view lists it (R7, refinement 24), gathered since
   * `sinceMs`: a refused fresh connect, or a newer incarnation than one we heard speak with
   * the listed session. A new incarnation proves only that the sessions of the ones before it
   * ended: it may have started the listed session itself, listed (learned from the log) before
   * its first message reached us.
   */
  deadAsListed(member: Member, sinceMs: number): boolean {
    const p = this.get(member.nodeId);
    if (p.refusedSentMs >= sinceMs) return true;
    return p.replacedSessions.some((r) => r.session === member.session && r.atMs >= sinceMs);
  }

  /** Record a probe (TCP connect + ping) to `id`; returns its nonce. */
  startProbe(id: NodeId, nowMs: number, pauseEpoch: number, ownLastIndex: number): string {
    const nonce = this.newNonce();
    this.outstanding.set(nonce, { peer: id, sentMs: nowMs, pauseEpoch, ownLastIndex, connected: false });
    const p = this.get(id);
    p.probeSentMs.push(nowMs);
    if (p.probeSentMs.length > PROBES_OUTSTANDING_MAX) p.probeSentMs.shift();
    return nonce;
  }

  /** Forget probes too old to matter (bounded memory). */
  expire(nowMs: number): void {
    for (const [nonce, o] of this.outstanding) {
      if (o.sentMs < nowMs - 2 * this.t.excludeMs) this.outstanding.delete(nonce);
    }
  }

  probeResult(nonce: string, outcome: ProbeOutcome): void {
    const o = this.outstanding.get(nonce);
    if (o === undefined) return;
    if (outcome === "connected") {
      o.connected = true; // the pong may still come: the probe stays outstanding
      return;
    }
    this.outstanding.delete(nonce);
    const p = this.get(o.peer);
    if (outcome === "refused") {
      p.deadMs = Math.max(p.deadMs, o.sentMs);
      p.refusedSentMs = Math.max(p.refusedSentMs, o.sentMs);
    } else if (outcome === "local-failure") {
      // A probe that was never sent does not count toward a silence window.
      const k = p.probeSentMs.indexOf(o.sentMs);
      if (k >= 0) p.probeSentMs.splice(k, 1);
    }
  }

  /**
   * Whether a broken stream to `id` (`peer-lost`) needs no probe of its own: a probe sent less
   * than `D_max` ago either still has its connect pending (its outcome is on the way) or was
   * refused (DEAD is known; the heartbeat probes keep it fresh). A connect accepted before the
   * stream broke says nothing about now, so it holds back a probe only within one tick. This
   * bounds the probes a dead or flapping peer causes, so the probe history (SILENT windows)
   * keeps spanning seconds.
   */
  recentProbeCovers(id: NodeId, nowMs: number): boolean {
    const sinceMs = nowMs - this.t.roundTripMaxMs;
    if (this.get(id).refusedSentMs > sinceMs) return true;
    for (const o of this.outstanding.values()) {
      if (o.peer !== id || o.sentMs <= sinceMs) continue;
      if (!o.connected || nowMs - o.sentMs < this.t.tickMs) return true;
    }
    return false;
  }

  /** A fresh reply echoes a probe sent after our latest pause; it counts once, at send time. */
  pong(msg: Message & { kind: "pong" }, pauseEpoch: number, reportsPrimary: boolean): void {
    const o = this.outstanding.get(msg.nonce);
    if (o === undefined || o.peer !== msg.from) return;
    this.outstanding.delete(msg.nonce);
    if (o.pauseEpoch !== pauseEpoch || msg.pauseEpoch !== pauseEpoch) return;
    const p = this.get(msg.from);
    p.contactMs = Math.max(p.contactMs, o.sentMs);
    if (reportsPrimary) p.primaryContactMs = Math.max(p.primaryContactMs, o.sentMs);
    p.answer = {
      atMs: o.sentMs,
      ownLastIndex: o.ownLastIndex,
      loading: msg.loading === true,
      nodeId: msg.from,
      storageId: msg.storageId,
      status: msg.status,
      epoch: msg.epoch,
      lastIndex: msg.lastIndex,
      lastEpoch: msg.lastEpoch,
      latestView: msg.latestView,
      vote: msg.vote,
      ...(msg.damagedReach !== undefined ? { damagedReach: msg.damagedReach } : {}),
    };
  }

  /** SILENT: nothing fresh for T_exclude since `since`, an overdue probe, no self-pause inside. */
  silent(
    id: NodeId,
    since: number,
    primaryContact: boolean,
    nowMs: number,
    pausedAtMs: number
  ): boolean {
    if (this.exclusion === "hard") return false;
    const p = this.get(id);
    const t0 = Math.max(since, pausedAtMs, primaryContact ? p.primaryContactMs : p.contactMs);
    if (nowMs - t0 < this.t.excludeMs) return false;
    const overdueMs = nowMs - this.t.roundTripMaxMs;
    return p.probeSentMs.some((s) => s >= t0 && s <= overdueMs);
  }

  /** Answers to probes sent at or after `sinceMs`. */
  freshAnswers(sinceMs: number): Answer[] {
    const out: Answer[] = [];
    for (const id of this.ids) {
      const a = this.get(id).answer;
      if (a !== null && a.atMs >= sinceMs) out.push(a);
    }
    return out;
  }
}

function newPeerState(): PeerState {
  return {
    contactMs: NEVER,
    primaryContactMs: NEVER,
    deadMs: NEVER,
    steppedDownEpoch: -1,
    incarnations: [],
    storageId: null,
    session: null,
    status: null,
    statusEpoch: -1,
    probeSentMs: [],
    refusedSentMs: NEVER,
    answer: null,
    sessionsSeen: [],
    replacedSessions: [],
  };
}
