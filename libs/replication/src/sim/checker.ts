// The simulator's global oracle (REPLICATION.md §5.2), run after every step: election safety,
// vote uniqueness, monotonic durable epochs, log matching, commit durability, committed entries
// never change, every member of the committed view holds the committed prefix, leader
// completeness, identical applied state, and client acks only for committed entries.

import { sameStorage } from "../log.js";
import type { Replica } from "../replica.js";
import type { LogEntry, NodeId, Role, View } from "../types.js";
import { type DiskImage, imageTerm } from "./storage.js";

export class Violation extends Error {}

interface Committed {
  readonly epoch: number;
  readonly requestId: string | undefined;
}

export interface CheckedNode {
  readonly id: NodeId;
  readonly replica: Replica | null;
  readonly durable: DiskImage;
  readonly written: DiskImage;
  readonly storageId: string;
  /** S4: a damaged disk, not yet current again, may lack committed entries (skip in inv. 14). */
  readonly holdsExempt?: boolean;
}

function entryKey(e: LogEntry): string {
  const ms = e.members?.map((m) => `${m.nodeId}/${m.storageId}/${m.session}`).join(",") ?? "";
  return `${e.kind}|${e.requestId ?? ""}|${ms}|${e.ts}`;
}

export class Checker {
  private readonly primaries = new Map<number, string>();
  private readonly votes = new Map<string, NodeId | null>();
  private readonly durableEpoch = new Map<string, number>();
  private readonly registry = new Map<string, { key: string; prevEpoch: number }>();
  private readonly committed = new Map<number, Committed>();
  maxCommitted = 0;
  private committedView: View | null = null;
  private readonly digests = new Map<number, number>();
  readonly acked = new Map<string, number>();
  /** Highest index ever acked to a client: a later read must reflect at least this (R24). */
  maxAckedIndex = 0;
  reads = 0;
  /** When false (CE9 out-of-model runs) violations are recorded instead of thrown. */
  throwOnViolation = true;
  readonly violations: string[] = [];
  private readonly lastRole = new Map<NodeId, Role>();

  fail(what: string): void {
    if (!this.violations.includes(what) && this.violations.length < 100) this.violations.push(what);
    if (this.throwOnViolation) throw new Violation(what);
  }

  /** inv. 12: equal (epoch, index) ⇒ same entry and same predecessor epoch ⇒ same prefix. */
  onWrite(node: NodeId, entries: readonly LogEntry[], prevEpoch: number): void {
    let prev = prevEpoch;
    for (const e of entries) {
      const k = `${e.epoch}/${e.index}`;
      const key = entryKey(e);
      const seen = this.registry.get(k);
      if (seen === undefined) this.registry.set(k, { key, prevEpoch: prev });
      else if (seen.key !== key || seen.prevEpoch !== prev) {
        this.fail(`log matching: n${node} wrote a different entry at ${k}`);
      }
      prev = e.epoch;
    }
  }

  /** inv. 17 for a view entry a primary appends: one change, proposer stays, adds serialized. */
  onViewAppend(node: NodeId, prev: View, next: LogEntry, viewUncommittedBefore: boolean): void {
    const members = next.members ?? [];
    const key = (m: { nodeId: number; storageId: string; session: string }): string =>
      `${m.nodeId}/${m.storageId}/${m.session}`;
    const before = new Set(prev.members.map(key));
    const after = new Set(members.map(key));
    const added = members.filter((m) => !before.has(key(m)));
    const removed = prev.members.filter((m) => !after.has(key(m)));
    const refresh =
      added.length === 1 && removed.length === 1 && added[0]!.nodeId === removed[0]!.nodeId;
    const add = added.length === 1 && removed.length === 0;
    const removal = added.length === 0 && removed.length === 1;
    if (!refresh && !add && !removal)
      this.fail(`n${node} view entry ${next.index} is not a single change`);
    if (!members.some((m) => m.nodeId === node))
      this.fail(`n${node} left its own view at ${next.index}`);
    if ((add || refresh) && viewUncommittedBefore) {
      this.fail(`n${node} appended an add at ${next.index} with a view entry uncommitted`);
    }
  }

  /** inv. 10, 11: one durable vote per (storage, epoch); durable epoch never decreases. */
  onDurableHardState(
    node: NodeId,
    storageId: string,
    epoch: number,
    votedFor: NodeId | null
  ): void {
    const sk = `${node}/${storageId}`;
    if (epoch < (this.durableEpoch.get(sk) ?? 0)) this.fail(`n${node} durable epoch decreased`);
    this.durableEpoch.set(sk, epoch);
    if (votedFor === null) return;
    const vk = `${sk}/${epoch}`;
    const prior = this.votes.get(vk);
    if (prior !== undefined && prior !== null && prior !== votedFor) {
      this.fail(`n${node} voted twice in e${epoch}: n${prior} and n${votedFor}`);
    }
    this.votes.set(vk, votedFor);
  }

  /** inv. 9 and 13 at the moment a node becomes primary. */
  onRole(n: CheckedNode, role: Role, epoch: number): void {
    // inv. 18: a node becomes primary only from a candidacy (recovering never returns by itself).
    const last = this.lastRole.get(n.id);
    this.lastRole.set(n.id, role);
    if (role === "primary" && last !== "candidate") {
      this.fail(`n${n.id} became primary of e${epoch} from ${last ?? "nothing"}`);
    }
    if (role !== "primary") return;
    const who = `n${n.id}/${n.storageId}`;
    const prior = this.primaries.get(epoch);
    if (prior !== undefined) this.fail(`two primaries in e${epoch}: ${prior} and ${who}`);
    this.primaries.set(epoch, who);
    const r = n.replica!;
    const c = this.committed.get(this.maxCommitted);
    if (
      c !== undefined &&
      this.maxCommitted >= r.status().firstIndex &&
      r.termAt(this.maxCommitted) !== c.epoch
    ) {
      this.fail(
        `leader completeness: n${n.id} primary of e${epoch} lacks committed ${this.maxCommitted}`
      );
    }
  }

  /** After every step of a node: new commits (inv. 13, 14), commit bounds of followers. */
  afterStep(n: CheckedNode, all: readonly CheckedNode[]): void {
    const r = n.replica;
    if (r === null) return;
    const st = r.status();
    if (st.role === "primary" && st.commitIndex > this.maxCommitted) {
      for (let i = this.maxCommitted + 1; i <= st.commitIndex; i++) {
        const e = r.entryAt(i);
        if (e === undefined) continue;
        const prior = this.committed.get(i);
        if (prior !== undefined && prior.epoch !== e.epoch) this.fail(`committed ${i} changed`);
        this.committed.set(i, { epoch: e.epoch, requestId: e.requestId });
      }
      this.maxCommitted = st.commitIndex;
      this.committedView = r.viewAt(st.commitIndex);
      this.checkViewHolds(all, `n${n.id} committed ${st.commitIndex}`);
    }
    if (st.commitIndex > this.maxCommitted)
      this.fail(`n${n.id} commit ${st.commitIndex} beyond oracle`);
    const c = this.committed.get(st.commitIndex);
    if (
      c !== undefined &&
      st.commitIndex >= st.firstIndex &&
      r.termAt(st.commitIndex) !== c.epoch
    ) {
      this.fail(`n${n.id} holds a different entry at its commit index ${st.commitIndex}`);
    }
  }

  /** inv. 14 + "every member of the current view holds every committed entry" (durably). */
  checkViewHolds(all: readonly CheckedNode[], why: string): void {
    const v = this.committedView;
    if (v === null) return;
    const c = this.maxCommitted;
    const epoch = this.committed.get(c)?.epoch;
    for (const m of v.members) {
      const n = all.find((x) => x.id === m.nodeId);
      if (n === undefined || !sameStorage(m, n.storageId) || n.holdsExempt === true) continue;
      const base = n.durable.snapshot?.meta.index ?? 0;
      if (base >= c) continue;
      if (imageTerm(n.durable, c) !== epoch) {
        this.fail(
          `${why}: view member n${m.nodeId} does not durably hold committed ${c}/e${epoch}`
        );
      }
    }
  }

  /** inv. 15: identical applied state at equal indexes. */
  onApplied(node: NodeId, index: number, digest: number): void {
    const prior = this.digests.get(index);
    if (prior === undefined) this.digests.set(index, digest);
    else if (prior !== digest) this.fail(`n${node} applied state differs at ${index}`);
  }

  /** R4 / inv. 18: only a primary acks, and only a committed entry carrying the request. */
  onClientOk(node: NodeId, role: Role, requestId: string, index: number): void {
    if (role !== "primary") this.fail(`n${node} acked ${requestId} while ${role}`);
    const c = this.committed.get(index);
    if (c === undefined || c.requestId !== requestId) {
      this.fail(`n${node} acked ${requestId} at ${index}, which is not committed with it`);
    }
    this.acked.set(requestId, index);
    this.maxAckedIndex = Math.max(this.maxAckedIndex, index);
  }

  /** §5.1 #5 / CE6: a linearizable read reflects every write acked before it was invoked. */
  onReadOk(node: NodeId, role: Role, requestId: string, index: number, minIndex: number): void {
    this.reads++;
    if (role !== "primary") this.fail(`n${node} answered read ${requestId} while ${role}`);
    if (index < minIndex) {
      this.fail(
        `stale read ${requestId} at n${node}: index ${index} < ${minIndex} acked before it`
      );
    }
    if (index > this.maxCommitted) this.fail(`read ${requestId} at n${node} beyond commit`);
  }
}
