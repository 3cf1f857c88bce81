// The history checker (REPLICATION.md §5.1 items 1–4, 6, 7): pure, linear-ish in the history.
// Input: the records of one nemesis run (history.ts). Output: counts and examples of each
// kind of violation. The final state is the union of every client's final reads, by seq.
import type { HistoryRecord, SeenMessage } from "./history.js";

/** Examples kept per violation kind (the counts are exact). */
const examplesMax = 20;

export interface Violations {
  /** An acknowledged send missing from the final state, or seen (read/delivered) and then gone. */
  lost: string[];
  /** One (sender, client_msg_id) applied at more than one seq, or delivered twice to a subscriber. */
  duplicated: string[];
  /** Reads disagree at a seq, an ack's seq differs from the final one, a subscriber went back, or
   *  a send acked before another was invoked got a higher seq. */
  order: string[];
  /** A message no client sent, or one whose send definitely failed. */
  phantom: string[];
  /** A subscriber skipped a message of the final state below its last delivered seq, or never
   *  caught up to the final state. */
  gaps: string[];
  /** Replicas disagree on the last index after convergence. */
  divergence: string[];
  /** A session that an acknowledged Register/Login created was refused later (a lost write). */
  sessions: string[];
}

export interface CheckResult {
  ops: number;
  acked: number;
  failed: number;
  unknown: number;
  /** Indeterminate sends that turned out applied (once). */
  unknownApplied: number;
  delivered: number;
  finalMessages: number;
  /** Longest time with no acknowledged send (first invoke → heal), ms. */
  availabilityGapMs: number;
  counts: Record<keyof Violations, number>;
  violations: Violations;
  ok: boolean;
}

interface Send {
  client: string;
  key: string;
  to: string;
  text: string;
  invokeT: number;
  outcome: "pending" | "ok" | "fail" | "info";
  doneT: number;
  seq: number | undefined;
}

class Collector {
  readonly v: Violations = { lost: [], duplicated: [], order: [], phantom: [], gaps: [], divergence: [],
    sessions: [] };
  readonly counts: Record<keyof Violations, number> = { lost: 0, duplicated: 0, order: 0, phantom: 0, gaps: 0,
    divergence: 0, sessions: 0 };

  add(kind: keyof Violations, text: string): void {
    this.counts[kind]++;
    if (this.v[kind].length < examplesMax) this.v[kind].push(text);
  }
}

const keyOf = (from: string, clientMsgId: string): string => `${from}/${clientMsgId}`;
const same = (a: SeenMessage, b: SeenMessage): boolean =>
  a.seq === b.seq && a.from === b.from && a.to === b.to && a.text === b.text && a.clientMsgId === b.clientMsgId;

export function checkHistory(records: readonly HistoryRecord[]): CheckResult {
  const c = new Collector();
  const sends = collectSends(records);
  const finalBySeq = finalState(records, c);
  checkFinal(sends, finalBySeq, c);
  checkRealTime(sends, c);
  const delivered = checkSubscriptions(records, finalBySeq, c);
  checkReplicas(records, c);
  for (const r of records) if (r.kind === "session-lost") c.add("sessions", `${r.client} at ${r.t} ms: ${r.error}`);
  const all = [...sends.values()];
  const unknown = all.filter((s) => s.outcome === "info" || s.outcome === "pending");
  const appliedKeys = new Set([...finalBySeq.values()].map((m) => keyOf(m.from, m.clientMsgId)));
  const total = Object.values(c.counts).reduce((a, b) => a + b, 0);
  return {
    ops: all.length,
    acked: all.filter((s) => s.outcome === "ok").length,
    failed: all.filter((s) => s.outcome === "fail").length,
    unknown: unknown.length,
    unknownApplied: unknown.filter((s) => appliedKeys.has(keyOf(s.client, s.key))).length,
    delivered,
    finalMessages: finalBySeq.size,
    availabilityGapMs: availabilityGap(records, all),
    counts: c.counts,
    violations: c.v,
    ok: total === 0,
  };
}

function collectSends(records: readonly HistoryRecord[]): Map<string, Send> {
  const sends = new Map<string, Send>();
  for (const r of records) {
    if (r.kind === "invoke") {
      sends.set(keyOf(r.client, r.key), { client: r.client, key: r.key, to: r.to, text: r.text, invokeT: r.t,
        outcome: "pending", doneT: Number.POSITIVE_INFINITY, seq: undefined });
    } else if (r.kind === "ok" || r.kind === "fail" || r.kind === "info") {
      const s = sends.get(keyOf(r.client, r.key));
      if (!s) continue; // a completion without an invoke is a harness bug, not a cluster one
      s.outcome = r.kind;
      s.doneT = r.t;
      if (r.kind === "ok") s.seq = r.seq;
    }
  }
  return sends;
}

/** The union of the final reads by seq; reads that disagree at a seq are an order violation. */
function finalState(records: readonly HistoryRecord[], c: Collector): Map<number, SeenMessage> {
  const bySeq = new Map<number, SeenMessage>();
  for (const r of records) {
    if (r.kind !== "final-read") continue;
    for (const m of r.messages) {
      const known = bySeq.get(m.seq);
      if (!known) bySeq.set(m.seq, m);
      else if (!same(known, m)) c.add("order", `reads disagree at seq ${m.seq}: ${show(known)} vs ${show(m)}`);
    }
  }
  return bySeq;
}

function checkFinal(sends: Map<string, Send>, finalBySeq: Map<number, SeenMessage>, c: Collector): void {
  const seqsByKey = new Map<string, number[]>();
  for (const m of finalBySeq.values()) {
    const key = keyOf(m.from, m.clientMsgId);
    const seqs = seqsByKey.get(key) ?? [];
    seqs.push(m.seq);
    seqsByKey.set(key, seqs);
    const send = sends.get(key);
    if (!send) c.add("phantom", `seq ${m.seq}: ${show(m)} was never sent`);
    else if (send.outcome === "fail") c.add("phantom", `seq ${m.seq}: ${show(m)} was applied but its send failed`);
    else if (send.text !== m.text || send.to !== m.to) {
      c.add("phantom", `seq ${m.seq}: ${show(m)} differs from its send`);
    }
  }
  for (const [key, seqs] of seqsByKey) {
    if (seqs.length > 1) c.add("duplicated", `${key} applied at seqs ${seqs.sort((a, b) => a - b).join(", ")}`);
  }
  for (const [key, s] of sends) {
    if (s.outcome !== "ok") continue;
    const seqs = seqsByKey.get(key);
    if (!seqs) c.add("lost", `${key} acked at seq ${s.seq} is missing from the final state`);
    else if (!seqs.includes(s.seq!)) c.add("order", `${key} acked at seq ${s.seq}, final seq ${seqs.join(", ")}`);
  }
}

/** If A was acked before B was invoked, then seq(A) < seq(B) (one global order). */
function checkRealTime(sends: Map<string, Send>, c: Collector): void {
  const acked = [...sends.values()].filter((s) => s.outcome === "ok");
  const byDone = [...acked].sort((a, b) => a.doneT - b.doneT);
  const byInvoke = [...acked].sort((a, b) => a.invokeT - b.invokeT);
  let i = 0;
  let maxSeq = -1;
  let maxKey = "";
  for (const b of byInvoke) {
    while (i < byDone.length && byDone[i]!.doneT < b.invokeT) {
      if (byDone[i]!.seq! > maxSeq) {
        maxSeq = byDone[i]!.seq!;
        maxKey = keyOf(byDone[i]!.client, byDone[i]!.key);
      }
      i++;
    }
    if (b.seq! <= maxSeq) {
      c.add("order", `${keyOf(b.client, b.key)} (seq ${b.seq}) invoked after ${maxKey} (seq ${maxSeq}) was acked`);
    }
  }
}

/** Per subscriber: strictly increasing seqs, each as in the final state, none skipped. */
function checkSubscriptions(
  records: readonly HistoryRecord[], finalBySeq: Map<number, SeenMessage>, c: Collector,
): number {
  const deliveries = new Map<string, SeenMessage[]>();
  for (const r of records) {
    if (r.kind !== "event") continue;
    const list = deliveries.get(r.client) ?? [];
    list.push(r.message);
    deliveries.set(r.client, list);
  }
  const subscribers = new Set([...deliveries.keys(),
    ...records.filter((r) => r.kind === "final-read").map((r) => (r as { client: string }).client)]);
  let delivered = 0;
  for (const client of subscribers) {
    const seen = deliveries.get(client) ?? [];
    delivered += seen.length;
    const seenSeqs = new Set<number>();
    let last = 0;
    for (const m of seen) {
      if (seenSeqs.has(m.seq)) c.add("duplicated", `${client} was delivered seq ${m.seq} twice`);
      else if (m.seq < last) c.add("order", `${client} was delivered seq ${m.seq} after seq ${last}`);
      seenSeqs.add(m.seq);
      last = Math.max(last, m.seq);
      const final = finalBySeq.get(m.seq);
      if (!final) c.add("lost", `${client} was delivered ${show(m)}, absent from the final state`);
      else if (!same(final, m)) c.add("order", `${client} was delivered ${show(m)}, final ${show(final)}`);
    }
    for (const m of finalBySeq.values()) {
      if (m.from !== client && m.to !== client) continue;
      if (seenSeqs.has(m.seq)) continue;
      if (m.seq < last) c.add("gaps", `${client} skipped seq ${m.seq} (${show(m)}), delivered up to ${last}`);
      else c.add("gaps", `${client} never received seq ${m.seq} (${show(m)})`);
    }
  }
  return delivered;
}

function checkReplicas(records: readonly HistoryRecord[], c: Collector): void {
  const replicas = records.filter((r) => r.kind === "replica");
  const lasts = new Set(replicas.map((r) => r.lastIndex));
  if (lasts.size > 1) {
    c.add("divergence", `last index differs: ${replicas.map((r) => `node ${r.id}: ${r.lastIndex}`).join(", ")}`);
  }
  // Same applied index, different state: the replicas applied different histories.
  const byIndex = new Map<number, Set<string>>();
  for (const r of replicas) {
    if (r.appliedIndex === undefined || r.digest === undefined) continue;
    byIndex.set(r.appliedIndex, (byIndex.get(r.appliedIndex) ?? new Set()).add(r.digest));
  }
  for (const [index, digests] of byIndex) {
    if (digests.size > 1) {
      const who = replicas.filter((r) => r.appliedIndex === index).map((r) => `node ${r.id}: ${r.digest}`);
      c.add("divergence", `state differs at applied index ${index}: ${who.join(", ")}`);
    }
  }
  const applied = new Set(replicas.map((r) => r.appliedIndex));
  if (applied.size > 1 && !applied.has(undefined)) {
    c.add("divergence", `applied index differs after convergence: ${replicas.map((r) => `node ${r.id}: ${r.appliedIndex}`).join(", ")}`);
  }
}

/** Longest stretch with no ack, from the first invoke to the heal (or the last record). */
function availabilityGap(records: readonly HistoryRecord[], sends: Send[]): number {
  if (sends.length === 0) return 0;
  // A reduce, not Math.min(...): a spread of more than ~125k sends overflows the stack.
  const start = sends.reduce((min, s) => Math.min(min, s.invokeT), Infinity);
  const heal = records.find((r) => r.kind === "heal")?.t ?? records.at(-1)!.t;
  const acks = sends.filter((s) => s.outcome === "ok" && s.doneT <= heal).map((s) => s.doneT).sort((a, b) => a - b);
  let gap = 0;
  let prev = start;
  for (const t of [...acks, heal]) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return gap;
}

function show(m: SeenMessage): string {
  return `#${m.seq} ${m.from}→${m.to} "${m.text.slice(0, 40)}" (${m.clientMsgId})`;
}
