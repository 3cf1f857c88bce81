// The simulated disk of one node: a durable image plus writes not yet fsynced. Group commit:
// writes queued while an fsync is in flight form the next batch. A process crash keeps unsynced
// writes (the page cache survives SIGKILL); a machine crash drops them, and the batch being
// fsynced survives whole or not at all (torn batches are cut back to the last marker, S3).
// Corruption before the last intact marker (S4) marks records from one index on as damaged:
// the node loads only the intact prefix, and the bytes stay until its repair write drops them.

import type { LogEntry, LogReach, NodeId, SnapshotMeta } from "../types.js";
import type { ToySnapshot } from "./state-machine.js";

export interface DiskImage {
  epoch: number;
  votedFor: NodeId | null;
  snapshot: { meta: SnapshotMeta; data: ToySnapshot } | null;
  entries: LogEntry[];
  commitHint: number;
  /** S4: entries from this index on are damaged (null: none). Every batch in the image ends in
   * an intact marker, so any damage here lies before the last intact marker. */
  damagedFrom: number | null;
  /** Refinement 23: the damaged reach kept in the hard state after the repair (null: none). */
  damagedReach: LogReach | null;
}

export type DiskOp =
  | { kind: "entries"; entries: readonly LogEntry[]; commitHint: number; token: number }
  | { kind: "truncate"; afterIndex: number; token: number }
  | { kind: "hard"; epoch: number; votedFor: NodeId | null; damagedReach?: LogReach | null; token: number }
  | { kind: "install"; meta: SnapshotMeta; data: ToySnapshot; retain: boolean; token: number }
  | { kind: "save-snapshot"; meta: SnapshotMeta; data: ToySnapshot; token: null };

export function emptyImage(): DiskImage {
  return { epoch: 0, votedFor: null, snapshot: null, entries: [], commitHint: 0, damagedFrom: null,
    damagedReach: null };
}

export function cloneImage(d: DiskImage): DiskImage {
  return { ...d, entries: [...d.entries] };
}

export function imageLastIndex(d: DiskImage): number {
  const last = d.entries[d.entries.length - 1];
  return last !== undefined ? last.index : d.snapshot?.meta.index ?? 0;
}

/** Epoch of entry i in the image, or undefined if not held (snapshot base counts). */
export function imageTerm(d: DiskImage, i: number): number | undefined {
  const base = d.snapshot?.meta.index ?? 0;
  if (i === base) return d.snapshot?.meta.epoch ?? 0;
  if (i < base || (d.damagedFrom !== null && i >= d.damagedFrom)) return undefined;
  return d.entries[i - base - 1]?.epoch;
}

export function applyOp(d: DiskImage, op: DiskOp): void {
  const base = d.snapshot?.meta.index ?? 0;
  switch (op.kind) {
    case "entries": {
      if (d.damagedFrom !== null) throw new Error("disk append to a damaged log before its repair");
      const first = op.entries[0];
      if (first !== undefined && first.index !== imageLastIndex(d) + 1) {
        throw new Error(`disk append not contiguous: ${first.index} after ${imageLastIndex(d)}`);
      }
      d.entries.push(...op.entries);
      d.commitHint = Math.max(d.commitHint, op.commitHint);
      return;
    }
    case "truncate":
      if (d.damagedFrom !== null) {
        // The S4 repair: the core truncates to (at most) its intact prefix.
        if (op.afterIndex >= d.damagedFrom) throw new Error("truncation keeps damaged records");
        d.damagedFrom = null;
      }
      d.entries.length = Math.max(0, Math.min(d.entries.length, op.afterIndex - base));
      return;
    case "hard":
      d.epoch = op.epoch;
      d.votedFor = op.votedFor;
      if (op.damagedReach !== undefined) d.damagedReach = op.damagedReach;
      return;
    case "install":
    case "save-snapshot": {
      if (op.kind === "install" && d.damagedFrom !== null) {
        if (op.retain) throw new Error("install retains a damaged log");
        d.damagedFrom = null;
      }
      if (d.damagedFrom !== null && op.meta.index >= d.damagedFrom)
        throw new Error("local snapshot covers damaged records");
      const keep =
        op.kind === "install" && !op.retain ? [] : d.entries.filter((e) => e.index > op.meta.index);
      d.snapshot = { meta: op.meta, data: op.data };
      d.entries = keep;
      d.commitHint = Math.max(d.commitHint, op.meta.index);
      return;
    }
  }
}

export class SimStorage {
  durable: DiskImage = emptyImage();
  written: DiskImage = emptyImage();
  storageId: string;
  private pending: DiskOp[] = [];
  private inFlight: DiskOp[] | null = null;
  /** Bumped on crash so a completion scheduled before the crash is ignored. */
  private generation = 0;
  stalled = false;

  constructor(storageId: string) {
    this.storageId = storageId;
  }

  /** Queue a write; returns true if the caller must start an fsync now. */
  write(op: DiskOp): boolean {
    applyOp(this.written, op);
    this.pending.push(op);
    return this.inFlight === null && !this.stalled;
  }

  /** Start an fsync of everything pending; returns the batch generation for completion. */
  startFsync(): number | null {
    if (this.inFlight !== null || this.pending.length === 0 || this.stalled) return null;
    this.inFlight = this.pending;
    this.pending = [];
    return this.generation;
  }

  /** Complete the in-flight fsync; returns its ops (now durable) or null if stale. */
  completeFsync(generation: number): DiskOp[] | null {
    if (generation !== this.generation || this.inFlight === null) return null;
    const batch = this.inFlight;
    this.inFlight = null;
    for (const op of batch) applyOp(this.durable, op);
    return batch;
  }

  /**
   * S4 on the next open: damage a durable record picked by `pick` (an index into the log
   * above the snapshot). Only at rest (process down), so durable and written images agree.
   */
  corrupt(pick: (count: number) => number): number | null {
    const d = this.durable;
    if (d.entries.length === 0 || d.damagedFrom !== null) return null;
    const picked = d.entries[pick(d.entries.length)];
    if (picked === undefined) return null;
    const from = picked.index;
    d.damagedFrom = from;
    this.written = cloneImage(d);
    return from;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** SIGKILL: the page cache survives, so everything written becomes durable. */
  processCrash(): void {
    this.generation++;
    this.durable = cloneImage(this.written);
    this.pending = [];
    this.inFlight = null;
  }

  /** Power loss: unsynced writes are lost; the in-flight batch survives whole or not at all. */
  machineCrash(inFlightSurvives: boolean): void {
    this.generation++;
    if (inFlightSurvives && this.inFlight !== null) {
      for (const op of this.inFlight) applyOp(this.durable, op);
    }
    this.written = cloneImage(this.durable);
    this.pending = [];
    this.inFlight = null;
  }
}
