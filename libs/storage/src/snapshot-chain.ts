// Does the replayed WAL continue from the durable snapshot (§8.4 step 2)? It must hold the
// snapshot's own position `(s, e_s)`, so every entry after `s` chains from the snapshot.
import type { LogEntry, LogPosition } from "./log-entry.js";
import type { ReplayState } from "./segment-scan.js";

export type ChainCheck =
  | { readonly kind: "chained" }
  | { readonly kind: "unchained"; readonly reason: string; readonly firstDamagedIndex: number };

export function checkSnapshotChain<E extends LogEntry>(
  st: ReplayState<E>,
  snapshot: LogPosition,
): ChainCheck {
  const s = snapshot.index;
  if (st.lastIndex < s) {
    return {
      kind: "unchained",
      reason: `log ends at ${st.lastIndex}, before the snapshot at ${s}`,
      firstDamagedIndex: st.lastIndex + 1,
    };
  }
  if (s < st.baseIndex) {
    return {
      kind: "unchained",
      reason: `log starts after ${st.baseIndex}, past the snapshot at ${s} (entries missing)`,
      firstDamagedIndex: s + 1,
    };
  }
  const epoch = s === st.baseIndex ? st.baseEpoch : (st.entries[s - st.baseIndex - 1] as E).epoch;
  if (epoch !== snapshot.epoch) {
    return {
      kind: "unchained",
      reason: `log has epoch ${epoch} at ${s}, the snapshot ${snapshot.epoch}`,
      firstDamagedIndex: s,
    };
  }
  return { kind: "chained" };
}
