// What the client believes about the cluster: the highest epoch seen, the primary, every
// node's role and reachability, and the connection state the TUI shows. Facts come in as
// notes (a status report, a redirect, a call that worked or failed); stale ones — from an
// epoch below the highest seen (R22) — are ignored. Publishes an immutable snapshot, a new
// object only on a real change, so it can back React's useSyncExternalStore. No I/O; the
// clock is a parameter.
import type { NodeRole, StatusReport } from "./codec.js";
import { nodesMax } from "./limits.js";

export interface NodeState {
  id: number;
  address: string;
  role: NodeRole;
  epoch: number;
  commitIndex: number;
  lastIndex: number;
  inView: boolean;
  /** Restoring or catching up its chat state (it would serve late as primary). */
  loading: boolean;
  reachable: boolean;
}

export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "connected"; nodeId: number; address: string }
  | { kind: "rebinding"; since: number }
  | { kind: "offline"; retryInMs: number; reason: string }
  | { kind: "closed" };

export interface ClusterState {
  epoch: number;
  primaryId: number | undefined;
  nodes: NodeState[];
  connection: ConnectionState;
}

interface NodeRecord {
  /** From a status report; before one, the seed's position (the local cluster's convention). */
  id: number;
  address: string;
  role: NodeRole;
  epoch: number;
  commitIndex: number;
  lastIndex: number;
  inView: boolean;
  loading: boolean;
  reachable: boolean;
  /** The node failed a call or probe and has not answered since. */
  failed: boolean;
}

const unknownId = -1;

export class ClusterView {
  private maxEpoch = 0;
  private primaryAddress: string | undefined;
  private readonly nodes = new Map<string, NodeRecord>();
  private connection: ConnectionState = { kind: "connecting" };
  private snapshot: ClusterState;
  private snapshotKey = "";
  private readonly listeners = new Set<(state: ClusterState) => void>();

  constructor(
    seeds: readonly string[],
    private readonly nowMs: () => number = Date.now,
  ) {
    seeds.forEach((address, index) => this.ensureNode(address, index));
    this.snapshot = this.build();
    this.snapshotKey = JSON.stringify(this.snapshot);
  }

  get epoch(): number {
    return this.maxEpoch;
  }

  get closed(): boolean {
    return this.connection.kind === "closed";
  }

  /** The best-known primary's address, if any. */
  primary(): string | undefined {
    return this.primaryAddress;
  }

  addresses(): string[] {
    return [...this.nodes.keys()];
  }

  state(): ClusterState {
    return this.snapshot;
  }

  onChange(listener: (state: ClusterState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A response's epoch: raises the highest seen; false when it is stale (lower). */
  noteEpoch(epoch: number | undefined): boolean {
    if (epoch === undefined) return true;
    if (epoch < this.maxEpoch) return false;
    if (epoch > this.maxEpoch) this.maxEpoch = epoch;
    return true;
  }

  /** A ClusterStatus from `from`. False (and only `from`'s reachability noted) when stale. */
  adoptStatus(report: StatusReport, from: string): boolean {
    if (this.closed) return false;
    this.markAnswered(from);
    if (report.epoch < this.maxEpoch) return this.publish(false);
    const newer = report.epoch > this.maxEpoch;
    this.maxEpoch = report.epoch;
    const listed = new Set<string>();
    for (const n of report.nodes) {
      const record = this.ensureNode(n.address, n.id);
      if (!record) continue;
      listed.add(n.address);
      Object.assign(record, {
        id: n.id, role: n.role, epoch: n.epoch, commitIndex: n.commitIndex,
        lastIndex: n.lastIndex, inView: n.inView, loading: n.loading,
      });
    }
    for (const record of this.nodes.values()) {
      if (listed.has(record.address)) continue;
      Object.assign(record, { id: unknownId, role: "unknown", inView: false, loading: false });
    }
    // A primary the report itself lists as down is gone (the reporter saw it die), as is ours
    // when a member of the view lists it down: rebind, whatever the epoch. (A node that has
    // just restarted, not yet in the view, calls every peer down until it hears from them.)
    const primaryNode = report.nodes.find((n) => n.id === report.primaryId);
    const named = primaryNode?.role === "down" ? undefined : primaryNode?.address;
    const reporter = report.nodes.find((n) => n.id === report.reporterId);
    const member = reporter?.inView === true && (reporter.role === "backup" || reporter.role === "primary");
    const oursDown = member && report.nodes.some((n) => n.address === this.primaryAddress && n.role === "down");
    if (named !== undefined) {
      if (newer) this.nodes.get(named)!.failed = false;
      this.setPrimary(named);
      if (!this.nodes.get(named)!.failed) this.becomeConnected(named);
      else this.becomeRebinding();
    } else if (newer || oursDown) {
      this.primaryAddress = undefined;
      this.becomeRebinding();
    }
    return this.publish(true);
  }

  /** `from` answered UNAVAILABLE: it is not the primary; `hint` (if any) may be. */
  noteRedirect(from: string, hint: string | undefined, epoch: number | undefined): void {
    if (this.closed) return;
    this.markAnswered(from);
    if (this.primaryAddress === from) {
      this.primaryAddress = undefined;
      this.becomeRebinding();
    }
    const fresh = this.noteEpoch(epoch);
    if (fresh && hint !== undefined && hint !== from && this.ensureNode(hint, unknownId)) {
      this.setPrimary(hint);
    }
    this.publish(true);
  }

  /** A call on `address` succeeded: it is the primary. False when the answer is stale. */
  noteSuccess(address: string, epoch: number | undefined): boolean {
    if (this.closed) return false;
    // The common case, once per call: nothing changes, so skip rebuilding the snapshot.
    if (this.unchangedBySuccess(address, epoch)) return true;
    this.markAnswered(address);
    if (!this.noteEpoch(epoch)) {
      if (this.primaryAddress === address) this.primaryAddress = undefined;
      return this.publish(false);
    }
    this.setPrimary(address);
    this.becomeConnected(address);
    return this.publish(true);
  }

  /** `address` did not answer (refused, dropped, silent past its deadline). */
  noteFailure(address: string): void {
    if (this.closed) return;
    const record = this.nodes.get(address);
    if (record) Object.assign(record, { reachable: false, failed: true });
    if (this.primaryAddress === address) {
      this.primaryAddress = undefined;
      this.becomeRebinding();
    }
    this.publish(true);
  }

  /** `address` answered something (e.g. GetStatus): it is reachable. */
  noteAnswered(address: string): void {
    if (this.closed) return;
    this.markAnswered(address);
    this.publish(true);
  }

  /** No node answered at all; the next round starts in `retryInMs`. */
  noteOffline(retryInMs: number, reason: string): void {
    if (this.closed) return;
    this.connection = { kind: "offline", retryInMs, reason };
    this.publish(true);
  }

  close(): void {
    if (this.closed) return;
    this.connection = { kind: "closed" };
    this.publish(true);
    this.listeners.clear();
  }

  private ensureNode(address: string, id: number): NodeRecord | undefined {
    const existing = this.nodes.get(address);
    if (existing) return existing;
    if (this.nodes.size >= nodesMax) return undefined;
    const record: NodeRecord = {
      id, address, role: "unknown", epoch: 0, commitIndex: 0, lastIndex: 0, inView: false,
      loading: false, reachable: false, failed: false,
    };
    this.nodes.set(address, record);
    return record;
  }

  private markAnswered(address: string): void {
    const record = this.nodes.get(address);
    if (record) Object.assign(record, { reachable: true, failed: false });
  }

  private unchangedBySuccess(address: string, epoch: number | undefined): boolean {
    const record = this.nodes.get(address);
    return this.primaryAddress === address && this.connection.kind === "connected"
      && this.connection.address === address && (epoch === undefined || epoch === this.maxEpoch)
      && record !== undefined && record.reachable && !record.failed;
  }

  private setPrimary(address: string): void {
    this.primaryAddress = address;
  }

  private becomeConnected(address: string): void {
    const nodeId = this.nodes.get(address)?.id ?? unknownId;
    this.connection = { kind: "connected", nodeId, address };
  }

  private becomeRebinding(): void {
    if (this.connection.kind === "rebinding" || this.connection.kind === "connecting") return;
    this.connection = { kind: "rebinding", since: this.nowMs() };
  }

  private build(): ClusterState {
    const nodes = [...this.nodes.values()].map(
      ({ failed: _failed, ...node }): NodeState => Object.freeze({ ...node }),
    );
    const primaryId = this.primaryAddress === undefined
      ? undefined
      : this.nodes.get(this.primaryAddress)?.id;
    return Object.freeze({
      epoch: this.maxEpoch,
      primaryId: primaryId === unknownId ? undefined : primaryId,
      nodes: Object.freeze(nodes) as NodeState[],
      connection: Object.freeze({ ...this.connection }),
    });
  }

  /** Rebuilds the snapshot; listeners hear only of a real change. Returns `result`. */
  private publish(result: boolean): boolean {
    const next = this.build();
    const key = JSON.stringify(next);
    if (key === this.snapshotKey) return result;
    this.snapshot = next;
    this.snapshotKey = key;
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return result;
  }
}
