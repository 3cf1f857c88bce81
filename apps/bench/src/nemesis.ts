// `chat-bench nemesis`: a real 3-node cluster, clients sending and subscribing through the SDK,
// and a seeded nemesis (kill -9 one or two nodes, SIGSTOP 1–5 s, restarts, kill -9 of all three).
// Then heal, converge, read the final state and check the history (checker.ts).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChatError, connect, type ChatClient, type Message } from "@chat-tui/client";
import { checkHistory, type CheckResult } from "./checker.js";
import { toJsonl, type HistoryRecord, type SeenMessage } from "./history.js";
import { digestOf, ProcCluster } from "./proc-cluster.js";
import { registerOrLogin } from "./load.js";
import { rng, type Rng } from "./rng.js";
import { sleep } from "./stats.js";

export interface NemesisOptions {
  durationS: number;
  clients: number;
  seed: string;
  /** Where the history and node logs go (kept on a violation, or always with keepAlways).
   * Must be empty or absent: a second run's nodes and history would mix with the first's. */
  dir: string;
  keepAlways: boolean;
  log: (line: string) => void;
  /** Seconds between nemesis operations (default 2–5). */
  intervalS?: [number, number];
}

export interface NemesisResult {
  ok: boolean;
  summary: CheckResult & { seed: string; durationS: number; clients: number; nemesisOps: number;
    convergeMs: number; dir: string | undefined };
  text: string;
}

/** Retry budget of one SDK call; a send that outlives it is recorded as indeterminate. */
const clientDeadlineMs = 10_000;
/** Per-client pause between sends, ms (keeps the history readable: ~40 sends/s per client). */
const sendPauseMs = [5, 40] as const;
/** Pages of 500 read per conversation at the end. */
const historyPagesMax = 1_000;
const definiteFailures = new Set(["invalid-argument", "unknown-user", "self-send", "not-allowed", "rate-limited",
  "unauthenticated", "username-taken", "wrong-password"]);

class Recorder {
  readonly records: HistoryRecord[] = [];
  private readonly t0 = performance.now();
  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }
  add(record: HistoryRecord): void {
    this.records.push(record);
  }
}

const seen = (m: Message): SeenMessage =>
  ({ seq: m.seq, from: m.from, to: m.to, text: m.text, clientMsgId: m.clientMsgId });

interface Actor {
  name: string;
  client: ChatClient;
  lastSeq: number;
  sending: boolean;
  sendLoop?: Promise<void>;
  eventLoop?: Promise<void>;
}

export async function runNemesis(o: NemesisOptions): Promise<NemesisResult> {
  mkdirSync(o.dir, { recursive: true });
  if (readdirSync(o.dir).length > 0) {
    throw new Error(`${o.dir} is not empty: each nemesis run needs a directory of its own`);
  }
  const cluster = await ProcCluster.start({ root: join(o.dir, "cluster") });
  const h = new Recorder();
  const random = rng(o.seed);
  const abort = new AbortController();
  const actors: Actor[] = [];
  let nemesisOps = 0;
  let convergeMs = 0;
  try {
    for (let i = 0; i < o.clients; i++) {
      const client = connect({ cluster: cluster.addresses, deadlineMs: clientDeadlineMs });
      actors.push({ name: `c${i}`, client, lastSeq: 0, sending: true });
      await registerOrLogin(client, `c${i}`);
    }
    await checkSessions(actors, h);
    for (const a of actors) {
      a.eventLoop = subscribe(a, h, abort.signal);
      a.sendLoop = sendLoop(a, actors, h, rng(`${o.seed}/${a.name}`), o.durationS * 1000);
    }
    nemesisOps = await nemesis(cluster, h, random, o);
    o.log("heal: SIGCONT all, restart downed nodes");
    heal(cluster);
    h.add({ kind: "heal", t: h.now() });
    for (const a of actors) a.sending = false;
    await Promise.all(actors.map((a) => a.sendLoop));
    const t = performance.now();
    const selves = await cluster.waitConverged(60_000);
    convergeMs = performance.now() - t;
    o.log(`converged in ${Math.round(convergeMs)} ms at last index ${selves[0]!.lastIndex}`);
    await finalReads(actors, h);
    await catchUp(actors, h, 20_000);
    for (const replica of await finalReplicas(cluster)) h.add({ kind: "replica", t: h.now(), ...replica });
  } catch (err) {
    throw new Error(`nemesis run aborted (history and node logs kept in ${o.dir}): ${String(err)}`, { cause: err });
  } finally {
    // Every exit path, an error too, stops the clients' loops before the history is written.
    abort.abort();
    for (const a of actors) a.sending = false;
    for (const a of actors) a.client.close();
    await Promise.all(actors.flatMap((a) => [a.eventLoop, a.sendLoop]));
    await cluster.shutdown();
    writeFileSync(join(o.dir, "history.jsonl"), toJsonl(h.records));
  }
  const result = checkHistory(h.records);
  const keep = !result.ok || o.keepAlways;
  if (!keep) rmSync(o.dir, { recursive: true, force: true });
  const summary = { ...result, seed: o.seed, durationS: o.durationS, clients: o.clients, nemesisOps, convergeMs,
    dir: keep ? o.dir : undefined };
  return { ok: result.ok, summary, text: renderSummary(summary) };
}

async function sendLoop(a: Actor, actors: Actor[], h: Recorder, random: Rng, durationMs: number): Promise<void> {
  const end = performance.now() + durationMs + 60_000; // hard bound; `sending` normally ends it
  for (let n = 0; a.sending && performance.now() < end && n < 1_000_000; n++) {
    const peers = actors.filter((p) => p !== a);
    const to = peers[Math.floor(random() * peers.length)]!.name;
    const key = `${a.name}-${n}`;
    const text = `${a.name}#${n} ${"x".repeat(Math.floor(random() * 64))}`;
    h.add({ kind: "invoke", t: h.now(), client: a.name, key, to, text });
    try {
      const m = await a.client.send(to, text, { clientMsgId: key });
      h.add({ kind: "ok", t: h.now(), client: a.name, key, seq: m.seq });
    } catch (err) {
      const kind = err instanceof ChatError ? err.kind : "internal";
      const error = err instanceof Error ? `${kind}: ${err.message}` : String(err);
      h.add({ kind: definiteFailures.has(kind) ? "fail" : "info", t: h.now(), client: a.name, key, error });
      if (kind === "unauthenticated") await relogin(a, h, error);
    }
    await sleep(sendPauseMs[0] + random() * (sendPauseMs[1] - sendPauseMs[0]));
  }
}

/** Proves each fresh session works before the faults start (a refused one is recorded). */
async function checkSessions(actors: Actor[], h: Recorder): Promise<void> {
  for (const a of actors) {
    try {
      await a.client.listUsers(a.name);
    } catch (err) {
      if (!(err instanceof ChatError && err.kind === "unauthenticated")) throw err;
      await relogin(a, h, `right after register: ${err.message}`);
    }
  }
}

/** Records the lost session and logs in again, so the run goes on (bounded tries). */
async function relogin(a: Actor, h: Recorder, error: string): Promise<void> {
  h.add({ kind: "session-lost", t: h.now(), client: a.name, error });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await a.client.login(a.name, "nemesis-password");
      return;
    } catch {
      await sleep(200);
    }
  }
}

/** One `events()` iterator for the whole run; resumed from the cursor if it ever throws. */
async function subscribe(a: Actor, h: Recorder, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; !signal.aborted && attempt < 1_000; attempt++) {
    try {
      for await (const m of a.client.events({ afterSeq: a.lastSeq, signal })) {
        h.add({ kind: "event", t: h.now(), client: a.name, message: seen(m) });
        a.lastSeq = Math.max(a.lastSeq, m.seq);
      }
      return;
    } catch (err) {
      if (signal.aborted) return;
      h.add({ kind: "event-error", t: h.now(), client: a.name, error: String(err) });
      await sleep(100);
    }
  }
}

type Op = "kill-one" | "kill-two" | "pause" | "restart" | "kill-all";

/**
 * Runs seeded faults for the duration; never more than two nodes down or paused at once.
 * Returns how many faults took effect (a restart drawn while no node is down does nothing
 * and is neither recorded nor counted).
 */
async function nemesis(c: ProcCluster, h: Recorder, random: Rng, o: NemesisOptions): Promise<number> {
  const [lo, hi] = o.intervalS ?? [2, 5];
  const end = performance.now() + o.durationS * 1000;
  const pauses: Promise<void>[] = [];
  let ops = 0;
  for (let turn = 0; performance.now() < end && turn < 10_000; turn++) {
    await sleep(Math.min(end - performance.now(), (lo + random() * (hi - lo)) * 1000));
    if (performance.now() >= end) break;
    const faulty = c.ids.filter((id) => !c.isUp(id) || c.node(id).paused);
    const healthy = c.ids.filter((id) => !faulty.includes(id));
    const choices: Op[] = faulty.length >= 2 ? ["restart", "restart", "kill-all"]
      : faulty.length === 1 ? ["kill-one", "pause", "restart", "restart"]
        : ["kill-one", "kill-one", "kill-two", "pause", "pause", "kill-all"];
    const op = choices[Math.floor(random() * choices.length)]!;
    const pick = (n: number): number[] => shuffle(healthy, random).slice(0, n);
    const down = c.ids.filter((id) => !c.isUp(id));
    if (op === "restart" && down.length === 0) continue; // only paused nodes: they resume alone
    ops++;
    switch (op) {
      case "kill-one":
      case "kill-two": {
        const victims = pick(op === "kill-one" ? 1 : 2);
        h.add({ kind: "nemesis", t: h.now(), op, nodes: victims });
        for (const id of victims) await c.kill(id);
        break;
      }
      case "pause": {
        const [id] = pick(1);
        const ms = Math.round(1000 + random() * 4000);
        h.add({ kind: "nemesis", t: h.now(), op: `pause ${ms} ms`, nodes: [id!] });
        c.pause(id!);
        pauses.push(sleep(ms).then(() => {
          c.resume(id!);
          h.add({ kind: "nemesis", t: h.now(), op: "resume", nodes: [id!] });
        }));
        break;
      }
      case "restart": {
        h.add({ kind: "nemesis", t: h.now(), op, nodes: down });
        for (const id of down) c.startNode(id);
        break;
      }
      case "kill-all": {
        h.add({ kind: "nemesis", t: h.now(), op, nodes: c.ids });
        for (const id of c.ids) await c.kill(id);
        await sleep(200 + random() * 800);
        for (const id of c.ids) c.startNode(id);
        break;
      }
    }
    const done = h.records.findLast((r) => r.kind === "nemesis");
    if (done?.kind === "nemesis") o.log(`${(done.t / 1000).toFixed(1)} s: ${done.op} [${done.nodes.join(",")}]`);
  }
  await Promise.all(pauses);
  return ops;
}

function heal(c: ProcCluster): void {
  for (const id of c.ids) {
    if (c.isUp(id)) c.resume(id);
    else c.startNode(id);
  }
}

/** Every message to or from each client: `history` with every peer, all pages, oldest first. */
async function finalReads(actors: Actor[], h: Recorder): Promise<void> {
  for (const a of actors) {
    const messages: SeenMessage[] = [];
    for (const peer of actors) {
      if (peer === a) continue;
      let beforeSeq = 0;
      for (let page = 0; page < historyPagesMax; page++) {
        const batch = await a.client.history(peer.name, { beforeSeq, limit: 500 });
        messages.push(...batch.map(seen));
        if (batch.length < 500) break;
        beforeSeq = batch[0]!.seq;
      }
    }
    messages.sort((x, y) => x.seq - y.seq);
    h.add({ kind: "final-read", t: h.now(), client: a.name, messages });
  }
}

/** Waits (bounded) until each subscriber has been delivered up to its last final message. */
async function catchUp(actors: Actor[], h: Recorder, timeoutMs: number): Promise<void> {
  const target = new Map<string, number>();
  for (const r of h.records) {
    if (r.kind === "final-read") target.set(r.client, r.messages.at(-1)?.seq ?? 0);
  }
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && actors.some((a) => a.lastSeq < (target.get(a.name) ?? 0))) {
    await sleep(50);
  }
}

function shuffle<T>(items: T[], random: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function renderSummary(s: NemesisResult["summary"]): string {
  const lines = [
    `nemesis: seed ${s.seed}, ${s.durationS} s, ${s.clients} clients, ${s.nemesisOps} faults`,
    `ops ${s.ops}: acked ${s.acked}, failed ${s.failed}, unknown ${s.unknown} (applied ${s.unknownApplied})`,
    `final state ${s.finalMessages} messages; ${s.delivered} deliveries to subscribers`,
    `lost ${s.counts.lost}, duplicated ${s.counts.duplicated}, order violations ${s.counts.order}, ` +
      `phantoms ${s.counts.phantom}, subscription gaps ${s.counts.gaps}, replica divergence ${s.counts.divergence}, ` +
      `lost sessions ${s.counts.sessions}`,
    `availability: longest time without any ack ${Math.round(s.availabilityGapMs)} ms; ` +
      `converged ${Math.round(s.convergeMs)} ms after the heal`,
  ];
  for (const [kind, examples] of Object.entries(s.violations)) {
    for (const e of examples as string[]) lines.push(`  ${kind}: ${e}`);
  }
  lines.push(s.ok ? "OK: no violation" : `VIOLATION: history and node logs kept in ${s.dir}`);
  if (s.ok && s.dir) lines.push(`history and node logs in ${s.dir}`);
  return lines.join("\n");
}

type ReplicaReading = Omit<Extract<HistoryRecord, { kind: "replica" }>, "kind" | "t">;

/**
 * Every node's role, positions and state digest, read together once the cluster has
 * converged. A starved node may step down (R8) while they are read, and the next primary's
 * barrier then makes the readings differ though no replica diverged: such a reading is
 * taken again after the cluster converges again (at most `attemptsMax` times); a real
 * divergence stays and the checker reports it.
 */
async function finalReplicas(cluster: ProcCluster, attemptsMax = 5): Promise<ReplicaReading[]> {
  let readings: ReplicaReading[] = [];
  for (let attempt = 1; attempt <= attemptsMax; attempt++) {
    await cluster.waitConverged(60_000);
    const digests = await convergedDigests(cluster);
    const selves = await Promise.all(cluster.ids.map((id) => cluster.self(id, 2_000)));
    readings = cluster.ids.map((id, k) => {
      const s = selves[k];
      return { id, role: s?.role ?? "down", lastIndex: s?.lastIndex ?? -1, commitIndex: s?.commitIndex ?? -1,
        ...digests.get(id) };
    });
    const same = (f: (r: ReplicaReading) => unknown): boolean => new Set(readings.map(f)).size === 1;
    if (same((r) => r.lastIndex) && same((r) => r.appliedIndex) && same((r) => r.role === "down")) break;
  }
  return readings;
}

/**
 * Every node's applied index and state digest, polled until the applied indexes agree (a
 * backup applies the last commits a moment after the primary) or 10 s pass; the checker then
 * compares the digests at equal indexes.
 */
async function convergedDigests(cluster: ProcCluster): Promise<Map<number, { appliedIndex: number; digest: string }>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answers = await Promise.all(cluster.ids.map(async (id) => [id, await digestOf(cluster.node(id).address, cluster.secret)] as const));
    const found = new Map(answers.filter((a): a is readonly [number, { appliedIndex: number; digest: string }] => a[1] !== undefined));
    if (new Set([...found.values()].map((d) => d.appliedIndex)).size <= 1 || Date.now() > deadline) return found;
    await sleep(100);
  }
}
