// Stable one-line text forms for logs and golden files (etcd-io/raft's DescribeMessage).

import type { Action, Event, LogEntry, Member, Message, View } from "./types.js";

export function describeMembers(ms: readonly Member[]): string {
  return `{${ms.map((m) => `n${m.nodeId}`).join(",")}}`;
}

export function describeView(v: View): string {
  return `${describeMembers(v.members)}@e${v.id.epoch}.${v.id.index}`;
}

export function describeEntry(e: LogEntry): string {
  const head = `${e.index}/e${e.epoch}`;
  if (e.kind === "cmd") return `${head}:${e.requestId ?? "?"}`;
  return `${head}:${e.kind}${describeMembers(e.members ?? [])}`;
}

export function describeEntries(es: readonly LogEntry[]): string {
  if (es.length === 0) return "[]";
  if (es.length <= 4) return `[${es.map(describeEntry).join(" ")}]`;
  return `[${describeEntry(es[0]!)} .. ${describeEntry(es[es.length - 1]!)} (${es.length})]`;
}

export function describeMessage(m: Message): string {
  const head = `n${m.from} e${m.epoch} ${m.status}`;
  switch (m.kind) {
    case "append":
      return `${head} append prev=${m.prevIndex}/e${m.prevEpoch} ${describeEntries(
        m.entries
      )} commit=${m.commit} round=${m.round}`;
    case "append-reply":
      return m.success
        ? `${head} append-ok match=${m.matchIndex}`
        : `${head} append-nack hint=${m.hintIndex}`;
    case "install-snapshot":
      return `${head} install-snapshot ${m.snapshot.index}/e${m.snapshot.epoch}`;
    case "vote-request":
      return `${head} vote-request${m.recovery ? " recovery" : ""} last=${m.lastIndex}/e${
        m.lastEpoch
      }`;
    case "vote-reply":
      return (
        `${head} vote-${m.granted ? "granted" : "refused"} for e${m.candidateEpoch}` +
        (m.granted ? "" : ` (${m.reason}${m.suffix ? ` ${describeEntries(m.suffix)}` : ""})`)
      );
    case "ping":
      return `${head} ping`;
    case "pong":
      return (
        `${head} pong last=${m.lastIndex}/e${m.lastEpoch} view=${describeView(m.latestView)}` +
        (m.damagedReach === undefined
          ? ""
          : ` faulted reach=${m.damagedReach.lastIndex}/e${m.damagedReach.lastEpoch}`)
      );
    case "stepped-down":
      return `${head} stepped-down e${m.steppedEpoch}`;
    case "leave-request":
      return `${head} leave-request view=e${m.leaveViewId.epoch}.${m.leaveViewId.index}`;
    case "leave-ack":
      return `${head} leave-ack view=e${m.leaveViewId.epoch}.${m.leaveViewId.index}`;
  }
}

export function describeEvent(ev: Event): string {
  switch (ev.kind) {
    case "tick":
      return "tick";
    case "message":
      return `recv ${describeMessage(ev.msg)}`;
    case "persisted":
      return `persisted #${ev.token}`;
    case "probe-result":
      return `probe n${ev.peer} ${ev.outcome}`;
    case "peer-lost":
      return `peer-lost n${ev.peer}${ev.livenessClosed ? " (liveness closed)" : ""}`;
    case "propose":
      return `propose ${ev.requestId}`;
    case "propose-batch":
      return `propose ${ev.proposals.map((p) => p.requestId).join(",")}`;
    case "read":
      return `read ${ev.requestId}`;
    case "snapshot-ready":
      return `snapshot-ready ${ev.index}`;
    case "recover-unclean":
      return "recover-unclean";
    case "state-loading":
      return `state-loading ${ev.loading}`;
  }
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case "persist-entries":
      return `persist #${a.token} ${describeEntries(a.entries)} hint=${a.commitHint}`;
    case "persist-truncate":
      return `persist #${a.token} truncate after ${a.afterIndex}`;
    case "persist-hard-state":
      return `persist #${a.token} epoch=${a.epoch} vote=${
        a.votedFor === null ? "-" : `n${a.votedFor}`
      }`;
    case "install-snapshot":
      return `persist #${a.token} install-snapshot ${a.snapshot.index}/e${a.snapshot.epoch}`;
    case "send":
    case "send-snapshot":
      return `send n${a.to}: ${describeMessage(a.msg)}`;
    case "probe":
      return `probe n${a.peer}`;
    case "apply":
      return `apply through ${a.throughIndex} ${describeEntries(a.entries)}`;
    case "reply":
      return (
        `reply ${a.requestId} ${a.outcome.kind}` +
        (a.outcome.kind === "ok" || a.outcome.kind === "read-ok" ? ` ${a.outcome.index}` : "") +
        (a.outcome.kind === "not-primary" ? ` hint=${a.outcome.hintNodeId ?? "-"}` : "")
      );
    case "role":
      return `role ${a.role} e${a.epoch} primary=${a.primaryId ?? "-"} view=${describeView(
        a.view
      )} (${a.reason})`;
    case "compact":
      return `compact through ${a.throughIndex}`;
  }
}
