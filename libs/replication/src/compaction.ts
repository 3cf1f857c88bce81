// When a replica compacts its log behind a snapshot. Every replica applies the same entries,
// so a rule of "every `interval` entries past the snapshot" made all of them write a snapshot
// at the same index, at the same moment. A snapshot costs a node about a second of CPU per
// 100,000 messages; three at once on a busy machine stalled every send for over a second
// (commits wait for the backups). So each replica compacts at its own phase of the interval:
// replica k of n (by id) at the indexes `j·interval + phase` with phase = ⌊k·interval/n⌋,
// which spreads the three snapshots a third of an interval apart and keeps them apart after
// restarts and installs (the phase is a property of the index, not of when it started).
// The replicas' snapshots are spread in log index, not in time: a snapshot that takes longer
// to write than a third of an interval's commits still overlaps the next replica's.

/** This replica's phase: its rank among the member ids (sorted) times interval / members. */
export function compactionPhase(memberIds: readonly number[], nodeId: number, interval: number): number {
  const rank = [...memberIds].sort((a, b) => a - b).indexOf(nodeId);
  if (rank < 0) throw new Error(`node ${nodeId} is not a member`);
  return Math.floor((rank * interval) / memberIds.length);
}

/**
 * True when the log, compacted at `snapshotIndex` and applied through `appliedIndex`, is due
 * for a snapshot: the applied index has reached a phase point `j·interval + phase` that lies
 * at least half an interval past the snapshot. So consecutive snapshots start between half an
 * interval and one and a half intervals of entries apart.
 */
export function compactionDue(snapshotIndex: number, appliedIndex: number, interval: number, phase: number): boolean {
  const earliest = snapshotIndex + Math.ceil(interval / 2);
  if (appliedIndex < earliest) return false;
  // The first phase point at or after `earliest`.
  const due = earliest + ((((phase - earliest) % interval) + interval) % interval);
  return appliedIndex >= due;
}
