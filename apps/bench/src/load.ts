// Load generators over the real SDK: a closed loop keeping N sends in flight, an open loop at
// a fixed rate, and an ack clock that the failover trials read. Every loop ends by time.
import { randomBytes } from "node:crypto";
import { ChatError, connect, type ChatClient } from "@chat-tui/client";
import type { CpuPerSend } from "./cpu.js";
import { quantile, sleep } from "./stats.js";

/** A 100-byte text (ASCII), unique per call so a reader can tell sends apart. */
export function text100(n: number): string {
  const head = `bench-${n}-`;
  return head + "x".repeat(100 - head.length);
}

/** Register, tolerating a slow machine: retried on `unavailable`, a login if it committed before. */
export async function registerOrLogin(client: ChatClient, name: string, password = "nemesis-password"): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.register(name, password);
      return;
    } catch (err) {
      if (err instanceof ChatError && err.kind === "username-taken") return void (await client.login(name, password));
      if (!(err instanceof ChatError && err.kind === "unavailable") || attempt >= 5) throw err;
    }
  }
}

/** How the SDK sends: pipelined on one SendMessages stream (its default) or one call each. */
export type SendPath = "stream" | "unary";

/**
 * Senders and one recipient. The node limits each user's send rate (sendsPerUserPerSec), so
 * load above it is spread round-robin over several senders, each its own client.
 */
export interface Pair {
  to: string;
  path: SendPath;
  /** The senders' usernames. */
  from: string[];
  /** One send from the next sender in turn. */
  send(text: string): Promise<unknown>;
  close(): void;
}

/** Senders for `ratePerSecMax` acknowledged sends/s: 500/s each (the node's per-user limit). */
export function sendersFor(ratePerSecMax: number): number {
  return Math.max(1, Math.ceil(ratePerSecMax / 500));
}

/** Registers `senders` senders and a recipient with unique names. */
export async function registerPair(
  cluster: string[],
  tag: string,
  options: { attemptTimeoutMs?: number; senders?: number; path?: SendPath } = {},
): Promise<Pair> {
  const suffix = randomBytes(3).toString("hex");
  const { attemptTimeoutMs, senders: count = 1, path = "stream" } = options;
  const connectOptions = {
    cluster, deadlineMs: 60_000, sendStream: path === "stream", ...(attemptTimeoutMs ? { attemptTimeoutMs } : {}),
  };
  const recipient = connect(connectOptions);
  await registerOrLogin(recipient, `${tag}-r-${suffix}`, "bench-password");
  const to = recipient.username!;
  recipient.close();
  const senders = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const sender = connect(connectOptions);
    await registerOrLogin(sender, `${tag}-s${i}-${suffix}`, "bench-password");
    return sender;
  }));
  let next = 0;
  return {
    to,
    path,
    from: senders.map((s) => s.username!),
    send: (text) => senders[next++ % senders.length]!.send(to, text),
    close: () => senders.forEach((s) => s.close()),
  };
}

export interface LevelResult {
  inFlight: number;
  path: SendPath;
  /** CPU µs per acknowledged send (own cluster on Linux only). */
  cpu?: CpuPerSend;
  durationMs: number;
  acked: number;
  failed: number;
  sendsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

let counter = 0;

function summarize(pair: Pair, inFlight: number, latencies: number[], failed: number, elapsedMs: number): LevelResult {
  return {
    inFlight, path: pair.path, durationMs: elapsedMs, acked: latencies.length, failed,
    sendsPerSec: latencies.length / (elapsedMs / 1000),
    p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), p999Ms: quantile(latencies, 0.999),
    maxMs: quantile(latencies, 1),
  };
}

/** Keeps `inFlight` sends outstanding for `durationMs`; latency of each acknowledged send. */
export async function closedLoop(pair: Pair, inFlight: number, durationMs: number): Promise<LevelResult> {
  const latencies: number[] = [];
  let failed = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await pair.send(text100(counter++));
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  }));
  return summarize(pair, inFlight, latencies, failed, performance.now() - start);
}

/**
 * Starts sends at `ratePerSec` (open loop, at most `outstandingMax` at once) for `durationMs`.
 * Each latency counts from the moment the send was due, not when the loop got to it, so a
 * stall of the loop or the cluster shows in the figures (no coordinated omission). The level's
 * `inFlight` is the most sends that were outstanding at once.
 */
export async function openLoop(pair: Pair, ratePerSec: number, durationMs: number, outstandingMax = 256):
  Promise<LevelResult & { ratePerSec: number }> {
  const latencies: number[] = [];
  let failed = 0;
  let outstanding = 0;
  let outstandingPeak = 0;
  let issued = 0;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    // Send k (from 0) is due at k / rate: the first at once, and its latency counts from then.
    const due = Math.floor(((performance.now() - start) / 1000) * ratePerSec) + 1;
    while (issued < due && outstanding < outstandingMax) {
      const dueAt = start + (issued * 1000) / ratePerSec;
      issued++;
      outstanding++;
      outstandingPeak = Math.max(outstandingPeak, outstanding);
      const p = pair.send(text100(counter++))
        .then(() => { latencies.push(performance.now() - dueAt); }, () => { failed++; })
        .finally(() => { outstanding--; pending.delete(p); });
      pending.add(p);
    }
    await sleep(1);
  }
  await Promise.all(pending);
  return { ...summarize(pair, outstandingPeak, latencies, failed, performance.now() - start), ratePerSec };
}

/** A background closed loop that records the time of every ack, for failover trials. */
export class AckClock {
  /** performance.now() of every ack, and of the start of the send it acknowledged. */
  readonly acks: { startedAt: number; ackedAt: number }[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(private readonly pair: Pair, inFlight: number) {
    this.loops = Array.from({ length: inFlight }, () => this.loop());
  }

  private async loop(): Promise<void> {
    for (let i = 0; this.running && i < 10_000_000; i++) {
      const startedAt = performance.now();
      try {
        await this.pair.send(text100(counter++));
        this.acks.push({ startedAt, ackedAt: performance.now() });
      } catch {
        await sleep(5); // a failed send (the SDK gave up): the gap shows in the acks
      }
    }
  }

  /**
   * The first ack at or after `t` (performance.now() ms), waiting up to `timeoutMs`. With
   * `startedAfter`, only acks of sends started after `t`: an ack already on its way when a
   * signal lands (SIGSTOP is delivered asynchronously) says nothing about the failover.
   */
  async firstAckAfter(t: number, timeoutMs: number, startedAfter = false): Promise<number | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < this.acks.length; seen++) {
        const a = this.acks[seen]!;
        if (a.ackedAt >= t && (!startedAfter || a.startedAt >= t)) return a.ackedAt;
      }
      if (performance.now() > deadline) return undefined;
      await sleep(2);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
