// The replication floor: the latency a primary-backup commit cannot go below on this machine
// with this stack. Three processes (replication-floor-node.ts) do only what a commit must —
// grpc-js streams client → primary → two backups, an fdatasync on each, the answer back — and
// the bench drives them with the same open loop and 100-byte messages as the cluster.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { cpuPerSend, sampleCpu, type CpuPerSend } from "./cpu.js";
import { openLoop, text100, type Pair } from "./load.js";
import { floorService } from "./replication-floor-node.js";

export interface ReplicationFloor {
  ratePerSec: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** CPU µs per answered message: primary, backups, client (Linux only). */
  cpu?: CpuPerSend;
}

// Run from src/ by the tests (through tsx) and from dist/ by `chat-bench`.
const ext = extname(fileURLToPath(import.meta.url));
const nodeFile = fileURLToPath(new URL(`./replication-floor-node${ext}`, import.meta.url));
const execArgv = nodeFile.endsWith(".ts") ? ["--import", "tsx"] : [];

function start(children: ChildProcess[], args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(nodeFile, args, { execArgv, stdio: ["ignore", "ignore", "inherit", "ipc"] });
    children.push(child);
    child.once("message", (m: { port: number }) => resolve(m.port));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`replication floor ${args[0]} exited (${code})`)));
  });
}

/** A send not answered within this long fails (a floor process stopped answering). */
const answerTimeoutMs = 10_000;

/**
 * Client side: `streams` pipelined streams, one 100-byte message a send, answered by number.
 * `fail` fails every unanswered send (and later ones): a broken stream or a dead floor process
 * must not leave the load waiting for answers that never come.
 */
export function floorPair(port: number, streams = 4): Pair & { fail(reason: Error): void } {
  const Client = grpc.makeGenericClientConstructor(floorService, "Floor");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as
    grpc.Client & { pipe(): grpc.ClientDuplexStream<Buffer, Buffer> };
  const waiting = new Map<bigint, { resolve(): void; reject(e: Error): void; sentAt: number }>();
  let failed: Error | undefined;
  let closed = false;
  const fail = (reason: Error): void => {
    failed ??= reason;
    for (const w of waiting.values()) w.reject(failed);
    waiting.clear();
  };
  const pipes = Array.from({ length: streams }, () => {
    const pipe = client.pipe();
    pipe.on("data", (answer: Buffer) => {
      const n = answer.readBigUInt64BE(0);
      waiting.get(n)?.resolve();
      waiting.delete(n);
    });
    pipe.on("error", (e: Error) => { if (!closed) fail(e); });
    pipe.on("end", () => { if (!closed) fail(new Error("a floor stream ended")); });
    return pipe;
  });
  const sweep = setInterval(() => {
    const late = performance.now() - answerTimeoutMs;
    for (const [n, w] of waiting) if (w.sentAt < late) {
      waiting.delete(n);
      w.reject(new Error(`no answer within ${answerTimeoutMs} ms`));
    }
  }, 1_000);
  let next = 0n;
  return {
    to: "floor", path: "stream", from: [],
    send: (text) => new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      const n = ++next;
      const msg = Buffer.alloc(8 + 100);
      msg.writeBigUInt64BE(n);
      msg.write(text, 8, "latin1");
      waiting.set(n, { resolve, reject, sentAt: performance.now() });
      pipes[Number(n % BigInt(streams))]!.write(msg);
    }),
    fail,
    close: () => {
      closed = true;
      clearInterval(sweep);
      fail(new Error("closed"));
      for (const p of pipes) p.cancel();
      client.close();
    },
  };
}

/** Children start as backup, backup, primary: n0, n1, n2 in the CPU sample. */
function rolesOf(nodesUs: Record<string, number>): Record<string, number> {
  return { primary: nodesUs.n2!, "backup 1": nodesUs.n0!, "backup 2": nodesUs.n1! };
}

/** The floor's latency at `ratePerSec` (open loop) for `durationMs`, after a warm-up. */
export async function measureReplicationFloorAt(ratePerSec: number, durationMs: number): Promise<ReplicationFloor> {
  const dir = mkdtempSync(join(tmpdir(), "chat-bench-floor-"));
  const children: ChildProcess[] = [];
  try {
    const backups = await Promise.all([start(children, ["backup", dir]), start(children, ["backup", dir])]);
    const primary = await start(children, ["primary", dir, ...backups.map(String)]);
    const pair = floorPair(primary);
    for (const child of children) {
      child.once("exit", (code, signal) => pair.fail(new Error(`a floor process exited (${code ?? signal})`)));
    }
    try {
      for (let i = 0; i < 500; i++) await pair.send(text100(i)); // connections, JIT
      const pids = new Map(children.map((c, i) => [i, c.pid] as const));
      const before = sampleCpu(pids);
      const r = await openLoop(pair, ratePerSec, durationMs);
      const cpu = cpuPerSend(before, sampleCpu(pids), r.acked);
      return {
        ratePerSec, requests: r.acked, reqPerSec: r.sendsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms,
        ...(cpu ? { cpu: { ...cpu, nodesUs: rolesOf(cpu.nodesUs) } } : {}),
      };
    } finally {
      pair.close();
    }
  } finally {
    // The primary first (the last started): it would report its backups' deaths as a failure.
    for (const c of [...children].reverse()) {
      if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) continue;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
