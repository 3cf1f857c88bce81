// R18 (Skeen's LAST rule) as a pure function: from a recovering node's own state and the fresh
// answers of its peers, decide whether to wait (and why) or which node stands, against which V*.

import { compareViewId, findMember, sameStorage } from "./log.js";
import type { LogReach, NodeId, Role, View, VoteRecord } from "./types.js";

export interface LogInfo {
  readonly nodeId: NodeId;
  readonly storageId: string;
  readonly status: Role;
  readonly epoch: number;
  readonly lastIndex: number;
  readonly lastEpoch: number;
  readonly latestView: View;
  readonly vote: VoteRecord;
  /** S4: how far the responder's damaged log reached (epoch an upper bound): while the damage
   * is on disk `lastIndex`/`lastEpoch` are its intact prefix; after the repair the reach stays
   * until the log covers it again (NOTES.md refinement 23). */
  readonly damagedReach?: LogReach;
}

export type RecoveryPlan =
  | { readonly kind: "wait"; readonly why: string }
  | {
      readonly kind: "stand";
      readonly candidate: NodeId;
      readonly vStar: View;
      readonly epoch: number;
      /** Members of V* left out by the operator's override (`unclean`); empty otherwise. */
      readonly dropped: readonly NodeId[];
    };

export function compareLogs(
  a: { lastEpoch: number; lastIndex: number },
  b: { lastEpoch: number; lastIndex: number }
): number {
  return a.lastEpoch !== b.lastEpoch ? a.lastEpoch - b.lastEpoch : a.lastIndex - b.lastIndex;
}

const CURRENT_STATUSES: ReadonlySet<Role> = new Set(["primary", "backup", "candidate"]);

/**
 * R17(b)/R18. `answers` are fresh answers of peers (never self). The responder set R is
 * self ∪ answers. Refinement of R18 (NOTES.md): only a holder of N*'s exact (lastEpoch,
 * lastIndex) stands — a member of V* if one holds N*, else the N* holder itself, whose barrier
 * then lists V* ∪ {itself} — so no candidate ever copies another's log. A storage-faulted
 * responder (S4) answers with its intact prefix, which is eligible as N*, plus the reach of
 * its damaged log; the plan waits while that reach is past N*.
 */
export function planRecovery(
  self: LogInfo,
  answers: readonly LogInfo[],
  options: { unclean?: boolean } = {}
): RecoveryPlan {
  for (const a of answers) {
    if (CURRENT_STATUSES.has(a.status)) return { kind: "wait", why: `n${a.nodeId} is ${a.status}` };
  }
  const all = [self, ...answers];
  let nStar = self;
  for (const a of all) if (compareLogs(a, nStar) > 0) nStar = a;
  let vStar = nStar.latestView;
  for (const a of all) {
    // Equal (lastEpoch, lastIndex) ⇒ identical logs (log matching), so their views agree.
    if (compareLogs(a, nStar) === 0 && compareViewId(a.latestView.id, vStar.id) > 0) {
      vStar = a.latestView;
    }
  }
  // The operator's override (R18) leaves out what the rule would wait for: V* members that do
  // not answer as themselves, and candidates voted for that do not answer.
  const dropped: NodeId[] = [];
  for (const m of vStar.members) {
    const r = all.find((a) => a.nodeId === m.nodeId);
    const why = r === undefined ? `V* member n${m.nodeId} has not answered`
      : !sameStorage(m, r.storageId) ? `V* member n${m.nodeId} answers with another storage` : undefined;
    if (why === undefined) continue;
    if (!options.unclean) return { kind: "wait", why };
    dropped.push(m.nodeId);
  }
  for (const r of all) {
    const v = r.vote;
    if (
      !options.unclean &&
      v.votedFor !== null &&
      v.epoch > nStar.lastEpoch &&
      !all.some((a) => a.nodeId === v.votedFor)
    ) {
      return { kind: "wait", why: `n${r.nodeId} voted for n${v.votedFor} in e${v.epoch}` };
    }
  }
  const faultWait = waitForDamagedReach(all, nStar);
  if (faultWait !== undefined && !options.unclean) return faultWait;
  // A faulted log never stands: its reach is past its own intact prefix (refinement 18).
  const holders = all
    .filter((a) => compareLogs(a, nStar) === 0 && a.damagedReach === undefined)
    .map((a) => a.nodeId);
  if (holders.length === 0) return { kind: "wait", why: "only a log with a damaged reach holds N*" };
  holders.sort((x, y) => x - y);
  // Prefer a member of V*. If none holds N* (a machine crash cost V*'s proposer its unsynced
  // tail while a removed node kept it), the N* holder stands and its barrier lists V* ∪ {itself}
  // — the spec's "a member of V* copies N*'s suffix" without copying (NOTES.md, found by seed 3238).
  const inView = holders.filter((id) => findMember(vStar, id) !== undefined);
  const candidate = inView[0] ?? holders[0]!;
  let epoch = 0;
  for (const a of all) epoch = Math.max(epoch, a.epoch, a.vote.epoch, a.lastEpoch);
  return { kind: "stand", candidate, vStar, epoch: epoch + 1, dropped };
}

/**
 * S4/R18: wait while a storage-faulted responder's damaged log may reach past N* (compared
 * epoch first, the reach's epoch being an upper bound). Any responder, not only a member of
 * V*: its damage may hide the only copy of a newer view (NOTES.md refinement 18).
 */
function waitForDamagedReach(all: readonly LogInfo[], nStar: LogInfo): RecoveryPlan | undefined {
  for (const a of all) {
    const reach = a.damagedReach;
    if (reach === undefined || compareLogs(reach, nStar) <= 0) continue;
    return {
      kind: "wait",
      why:
        `n${a.nodeId}'s damaged log may hold records past N* ` +
        `(reach ${reach.lastIndex}/e${reach.lastEpoch} > ${nStar.lastIndex}/e${nStar.lastEpoch})`,
    };
  }
  return undefined;
}
