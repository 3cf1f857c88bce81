// The in-memory log of one replica: a snapshot base plus the entries after it, and an index of
// view entries so "the view in force at i" (R3) and "the latest view" are cheap.

import {
  assert,
  type LogEntry,
  type Member,
  type NodeId,
  type SnapshotMeta,
  type View,
  type ViewId,
} from "./types.js";

export function compareViewId(a: ViewId, b: ViewId): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.index - b.index;
}

export function viewOfEntry(e: LogEntry): View {
  assert(e.kind !== "cmd" && e.members !== undefined, "view entry carries members");
  return { id: { epoch: e.epoch, index: e.index }, members: e.members };
}

export function findMember(v: View, nodeId: NodeId): Member | undefined {
  return v.members.find((m) => m.nodeId === nodeId);
}

/** Wildcard storage id of the bootstrap view: any storage answers for it until epoch 1. */
export const BOOTSTRAP_STORAGE = "*";

export function bootstrapView(nodeIds: readonly NodeId[]): View {
  return {
    id: { epoch: 0, index: 0 },
    members: nodeIds.map((nodeId) => ({ nodeId, storageId: BOOTSTRAP_STORAGE, session: "" })),
  };
}

/** Same member identity (nodeId, storageId); the bootstrap wildcard matches any storage. */
export function sameStorage(listed: Member, storageId: string): boolean {
  return listed.storageId === BOOTSTRAP_STORAGE || listed.storageId === storageId;
}

export class Log {
  private base: SnapshotMeta;
  private entries: LogEntry[] = [];
  /** Log indexes of view/barrier entries held in `entries`, ascending. */
  private viewIndexes: number[] = [];

  constructor(base: SnapshotMeta, entries: readonly LogEntry[]) {
    this.base = base;
    this.append(entries.filter((e) => e.index > base.index));
  }

  snapshot(): SnapshotMeta {
    return this.base;
  }
  firstIndex(): number {
    return this.base.index + 1;
  }
  lastIndex(): number {
    return this.base.index + this.entries.length;
  }
  lastEpoch(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.base.epoch : last.epoch;
  }
  lastTs(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.base.ts : last.ts;
  }
  /** Epoch of entry i, or undefined if i is outside [base.index, lastIndex]. */
  term(i: number): number | undefined {
    if (i === this.base.index) return this.base.epoch;
    return this.entry(i)?.epoch;
  }
  entry(i: number): LogEntry | undefined {
    if (i <= this.base.index) return undefined;
    return this.entries[i - this.base.index - 1];
  }
  /** Entries in [from, to], clipped to what is held. */
  slice(from: number, to: number): LogEntry[] {
    const lo = Math.max(from, this.firstIndex()) - this.base.index - 1;
    const hi = Math.min(to, this.lastIndex()) - this.base.index;
    return lo < hi ? this.entries.slice(lo, hi) : [];
  }

  append(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, `log append contiguous at ${e.index}`);
      assert(e.epoch >= this.lastEpoch(), `log epochs non-decreasing at ${e.index}`);
      assert(e.ts >= this.lastTs(), `log time non-decreasing at ${e.index}`);
      this.entries.push(e);
      if (e.kind !== "cmd") this.viewIndexes.push(e.index);
    }
  }

  /** Drop every entry after `index` (index ≥ base.index). */
  truncateAfter(index: number): void {
    assert(index >= this.base.index, "truncate above the snapshot");
    this.entries.length = Math.min(this.entries.length, index - this.base.index);
    while ((this.viewIndexes[this.viewIndexes.length - 1] ?? -1) > index) this.viewIndexes.pop();
  }

  /** Drop entries ≤ snap.index; keep later ones only if `retain` (they chain from snap). */
  resetTo(snap: SnapshotMeta, retain: boolean): void {
    const keep = retain ? this.slice(snap.index + 1, this.lastIndex()) : [];
    this.base = snap;
    this.entries = [];
    this.viewIndexes = [];
    this.append(keep);
  }

  latestView(): View {
    const i = this.viewIndexes[this.viewIndexes.length - 1];
    return i === undefined ? this.base.view : viewOfEntry(this.entry(i)!);
  }

  /** The view in force at index i: the latest view entry with index ≤ i (R3). */
  viewAt(i: number): View {
    const vi = this.viewIndexes;
    let lo = 0;
    let hi = vi.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (vi[mid]! <= i) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? this.base.view : viewOfEntry(this.entry(vi[found]!)!);
  }

  /** View entries (and the base view) from newest to oldest. */
  *viewsNewestFirst(): Generator<View> {
    for (let k = this.viewIndexes.length - 1; k >= 0; k--) {
      yield viewOfEntry(this.entry(this.viewIndexes[k]!)!);
    }
    yield this.base.view;
  }

  /** True if an uncommitted view entry exists above `commit`. */
  hasViewAbove(commit: number): boolean {
    return (this.viewIndexes[this.viewIndexes.length - 1] ?? -1) > commit;
  }
}
