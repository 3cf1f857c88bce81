// Real `chat-cluster node` processes for the bench, the nemesis and the tests: 127.0.0.1 only,
// ephemeral ports, one temp root with the cluster.json, data dirs and logs. Every process it
// starts is killed (SIGCONT, then SIGKILL) by `shutdown()` and, as a last resort, on exit.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { ClusterService, GetStatusRequestSchema, clientFor, create, type ClusterStatus } from "@chat-tui/proto";
import { sleep } from "./stats.js";

/** The node executable, from src/ (tests through tsx) and dist/ alike. */
const clusterBin = fileURLToPath(new URL("../../../bin/chat-cluster.js", import.meta.url));
const ClusterClient = clientFor(ClusterService);
/** How often wait loops poll the nodes. */
const pollMs = 50;

export interface ProcNode {
  id: number;
  address: string;
  dataDir: string;
  logFile: string;
  child: ChildProcess | undefined;
  paused: boolean;
}

export interface NodeSelf {
  id: number;
  role: string;
  epoch: number;
  commitIndex: number;
  lastIndex: number;
  inView: boolean;
  primaryId: number;
  /** Restoring or catching up its chat state. */
  loading: boolean;
}

/**
 * Runs `probe` every `intervalMs` until it yields a value; after `timeoutMs` throws with
 * `failure(what it saw last)`.
 */
export async function pollUntil<T>(timeoutMs: number, intervalMs: number,
  probe: () => Promise<{ value: T | undefined; seen: unknown }>, failure: (seen: unknown) => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { value, seen } = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(failure(seen));
    await sleep(intervalMs);
  }
}

/** Ports the OS says are free now (bound to port 0 on 127.0.0.1, read, released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () =>
    new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => resolve(s));
    })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const live = new Set<ProcCluster>();
process.once("exit", () => {
  for (const c of live) c.killAllSync();
});
let exitOnSignals = false;
/**
 * A run stopped by a signal (Ctrl+C, `timeout`) still kills its nodes and removes its temp
 * dir: the "exit" handler above runs only when the process exits, which a signal's default
 * action skips. Installed with the first cluster, so importing this module changes nothing.
 */
function exitOnSignal(): void {
  if (exitOnSignals) return;
  exitOnSignals = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => process.exit(128 + osConstants.signals[signal]));
  }
}

/** A snapshot a node logged: its index, how long its write took, and when it ended. */
export interface SnapshotTaken {
  node: number;
  index: number;
  ms: number;
  at: number;
}

/** The "snapshot taken" records of a node's log (JSON lines) that end within [fromMs, toMs]. */
export function snapshotsInLog(text: string, node: number, fromMs: number, toMs: number): SnapshotTaken[] {
  const taken: SnapshotTaken[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes('"snapshot taken"')) continue;
    try {
      const entry = JSON.parse(line) as { time?: string; index?: number; ms?: number };
      const at = Date.parse(entry.time ?? "");
      if (at >= fromMs && at <= toMs) taken.push({ node, index: entry.index ?? 0, ms: entry.ms ?? 0, at });
    } catch {
      // not a log record (a line a crash cut short, a --trace-gc line)
    }
  }
  return taken;
}

export interface StartOptions {
  size?: number;
  /** Keep the root (data, logs) after shutdown; default: a temp dir removed at the end. */
  root?: string;
  /** Extra node flags for the nodes (e.g. `--cpu-prof`, not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  wait?: boolean;
}

export class ProcCluster {
  private readonly statusClients = new Map<string, InstanceType<typeof ClusterClient>>();
  keep = false;

  private constructor(
    readonly root: string,
    readonly configPath: string,
    readonly nodes: ProcNode[],
    private readonly nodeArgs: string[],
    /** The cluster secret (GetStatus with_digest asks for it). */
    readonly secret: string,
  ) {}

  static async start(options: StartOptions = {}): Promise<ProcCluster> {
    const size = options.size ?? 3;
    const root = options.root ?? mkdtempSync(join(tmpdir(), "chat-bench-"));
    mkdirSync(root, { recursive: true });
    const ports = await freePorts(size * 3);
    const nodes = Array.from({ length: size }, (_, id) => ({
      id, address: `127.0.0.1:${ports[id * 3]}`, replicaPort: ports[id * 3 + 1], livenessPort: ports[id * 3 + 2],
    }));
    const configPath = join(root, "cluster.json");
    const secret = randomBytes(18).toString("base64url");
    writeFileSync(configPath, JSON.stringify({
      clusterId: "bench", secret, nodes,
      // One sender drives the load: the per-user send limit is not what the bench measures.
      limits: { sendsPerUserPerSec: 1_000_000, sendBurstPerUser: 1_000_000 },
    }), { mode: 0o600 });
    const cluster = new ProcCluster(root, configPath, nodes.map((n) => ({
      id: n.id, address: n.address, dataDir: join(root, `node-${n.id}`), logFile: join(root, `node-${n.id}.log`),
      child: undefined, paused: false,
    })), options.nodeArgs ?? [], secret);
    cluster.keep = options.root !== undefined;
    live.add(cluster);
    exitOnSignal();
    for (const node of cluster.nodes) cluster.startNode(node.id);
    if (options.wait !== false) await cluster.waitForPrimary();
    return cluster;
  }

  get addresses(): string[] {
    return this.nodes.map((n) => n.address);
  }

  get ids(): number[] {
    return this.nodes.map((n) => n.id);
  }

  node(id: number): ProcNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  isUp(id: number): boolean {
    const child = this.node(id).child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  startNode(id: number): void {
    const node = this.node(id);
    if (this.isUp(id)) throw new Error(`node ${id} is running`);
    mkdirSync(node.dataDir, { recursive: true, mode: 0o700 });
    const out = openSync(node.logFile, "a");
    const env: NodeJS.ProcessEnv = { ...process.env, UV_THREADPOOL_SIZE: "8" };
    try {
      node.child = spawn(process.execPath,
        [...this.nodeArgs, clusterBin, "node", "--id", String(id), "--config", this.configPath,
          "--data-dir", node.dataDir],
        { stdio: ["ignore", out, out], env });
      node.paused = false;
    } finally {
      closeSync(out);
    }
  }

  /**
   * `chat-cluster seed` on node `id`'s data dir (the node must be stopped): appends `messages`
   * sends offline through the node's own storage code. Resolves when it exits 0.
   */
  async seed(id: number, o: { messages: number; from: string; to: string; seed: string }):
    Promise<{ firstIndex: number; lastIndex: number; baseEpoch: number }> {
    const node = this.node(id);
    if (this.isUp(id)) throw new Error(`node ${id} is running`);
    const out = openSync(node.logFile, "a");
    try {
      const child = spawn(process.execPath, ["--max-old-space-size=4096", clusterBin, "seed", "--id", String(id),
        "--config", this.configPath, "--data-dir", node.dataDir, "--messages", String(o.messages),
        "--from", o.from, "--to", o.to, "--seed", o.seed], { stdio: ["ignore", "pipe", out] });
      let text = "";
      child.stdout!.on("data", (d: Buffer) => (text += d.toString("utf8")));
      const code = await new Promise<number | null>((r) => child.once("exit", r));
      if (code !== 0) throw new Error(`seeding node ${id} failed (exit ${code}); see ${node.logFile}`);
      return JSON.parse(text) as { firstIndex: number; lastIndex: number; baseEpoch: number };
    } finally {
      closeSync(out);
    }
  }

  /** kill -9 and wait until the process is gone. */
  async kill(id: number): Promise<void> {
    const node = this.node(id);
    const child = node.child;
    if (!child || !this.isUp(id)) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
    node.paused = false;
  }

  /** Graceful stop (SIGTERM, SIGKILL after `graceMs`): lets a node flush its exit (e.g. --cpu-prof). */
  async terminate(id: number, graceMs = 5_000): Promise<void> {
    const child = this.node(id).child;
    if (!child || !this.isUp(id)) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }

  pause(id: number): void {
    if (!this.isUp(id)) return;
    this.node(id).child!.kill("SIGSTOP");
    this.node(id).paused = true;
  }

  resume(id: number): void {
    if (!this.isUp(id)) return;
    this.node(id).child!.kill("SIGCONT");
    this.node(id).paused = false;
  }

  private statusClient(address: string): InstanceType<typeof ClusterClient> {
    let client = this.statusClients.get(address);
    if (!client) {
      client = new ClusterClient(address, grpc.credentials.createInsecure(), {
        "grpc.initial_reconnect_backoff_ms": 20, "grpc.max_reconnect_backoff_ms": 200,
      });
      this.statusClients.set(address, client);
    }
    return client;
  }

  status(id: number, deadlineMs = 700): Promise<ClusterStatus> {
    return statusOf(this.statusClient(this.node(id).address), deadlineMs);
  }

  /** What node `id` says of itself, or undefined when it does not answer. */
  async self(id: number, deadlineMs = 700): Promise<NodeSelf | undefined> {
    try {
      return selfOf(await this.status(id, deadlineMs));
    } catch {
      return undefined;
    }
  }

  /** The id of a primary that itself reports being primary, or undefined. */
  async findPrimary(): Promise<number | undefined> {
    const selves = await Promise.all(this.ids.filter((id) => this.isUp(id) && !this.node(id).paused)
      .map((id) => this.self(id)));
    return selves.find((s) => s && s.role === "primary" && s.primaryId === s.id)?.id;
  }

  async waitForPrimary(timeoutMs = 20_000): Promise<number> {
    return pollUntil(timeoutMs, pollMs, async () => ({ value: await this.findPrimary(), seen: "" }),
      () => `no primary after ${timeoutMs} ms\n${this.logs()}`);
  }

  /** Until every node answers, is in the view as primary or backup, with one last index. */
  waitConverged(timeoutMs = 30_000): Promise<NodeSelf[]> {
    return pollUntil(timeoutMs, pollMs * 2, async () => {
      const selves = await this.selves();
      const ok = selves.every((s) => s && s.inView && (s.role === "primary" || s.role === "backup"))
        && new Set(selves.map((s) => s!.lastIndex)).size === 1
        && new Set(selves.map((s) => s!.commitIndex)).size === 1
        && selves.filter((s) => s!.role === "primary").length === 1;
      return { value: ok ? selves as NodeSelf[] : undefined, seen: selves };
    }, (seen) => `no convergence after ${timeoutMs} ms: ${JSON.stringify(seen)}`);
  }

  /**
   * Until node `id` says it is in the view as backup or primary: a restarted node is back.
   * (Under load `waitConverged`'s one last index on all three holds only by chance.) Polled
   * every 10 ms: the bench reports how long this took.
   */
  async waitInView(id: number, timeoutMs = 30_000): Promise<void> {
    await pollUntil(timeoutMs, 10, async () => {
      const s = await this.self(id);
      return { value: s && s.inView && (s.role === "backup" || s.role === "primary") ? true : undefined, seen: s };
    }, (seen) => `node ${id} not in the view after ${timeoutMs} ms: ${JSON.stringify(seen)}`);
  }

  /** Until every node answers that its chat state is loaded (restored and caught up). */
  async waitLoaded(timeoutMs = 30_000): Promise<void> {
    await pollUntil(timeoutMs, pollMs * 2, async () => {
      const selves = await this.selves();
      return { value: selves.every((s) => s && !s.loading) ? true : undefined, seen: selves };
    }, (seen) => `still loading after ${timeoutMs} ms: ${JSON.stringify(seen)}`);
  }

  /** What every node says of itself (undefined for one that does not answer). */
  private selves(): Promise<(NodeSelf | undefined)[]> {
    return Promise.all(this.ids.map((id) => this.self(id)));
  }

  logs(lines = 15): string {
    return this.nodes.map((n) => {
      let text = "(no log)";
      try {
        text = readFileSync(n.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        // a node that never started has no log
      }
      return `--- node ${n.id} ---\n${text}`;
    }).join("\n");
  }

  /** The snapshots the nodes logged as taken between two wall-clock times (Date.now()). */
  snapshotsTaken(fromMs: number, toMs: number): SnapshotTaken[] {
    const taken = this.nodes.flatMap((node) => {
      try {
        return snapshotsInLog(readFileSync(node.logFile, "utf8"), node.id, fromMs, toMs);
      } catch {
        return []; // no log yet
      }
    });
    return taken.sort((a, b) => a.at - b.at);
  }

  /** SIGCONT + SIGKILL every node synchronously (the exit hook); removes the root unless kept. */
  killAllSync(): void {
    for (const node of this.nodes) {
      if (!node.child || node.child.exitCode !== null || node.child.signalCode !== null) continue;
      node.child.kill("SIGCONT");
      node.child.kill("SIGKILL");
    }
    if (!this.keep) rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  async shutdown(): Promise<void> {
    for (const c of this.statusClients.values()) c.close();
    this.statusClients.clear();
    for (const node of this.nodes) {
      node.child?.kill("SIGCONT");
      await this.kill(node.id);
    }
    live.delete(this);
    if (!this.keep) rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** The applied index and state digest of node `id` (GetStatus with_digest), or undefined. */
export async function digestOf(address: string, secret: string, deadlineMs = 5_000):
  Promise<{ appliedIndex: number; digest: string } | undefined> {
  const client = new ClusterClient(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("chat-cluster-secret", secret); // a digest costs the node a pass over its state
  try {
    const s = await new Promise<ClusterStatus>((resolve, reject) =>
      client.getStatus(create(GetStatusRequestSchema, { withDigest: true }), metadata,
        { deadline: Date.now() + deadlineMs }, (err, res) => (err || !res ? reject(err ?? new Error("empty reply")) : resolve(res))));
    return { appliedIndex: Number(s.appliedIndex), digest: s.stateDigest };
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

export function selfOf(s: ClusterStatus): NodeSelf | undefined {
  const me = s.nodes.find((n) => n.id === s.reporterId);
  if (!me) return undefined;
  return { id: me.id, role: me.role, epoch: Number(me.epoch), commitIndex: Number(me.commitIndex),
    lastIndex: Number(me.lastIndex), inView: me.inView, primaryId: s.primaryId, loading: me.loading };
}

function statusOf(client: InstanceType<typeof ClusterClient>, deadlineMs: number): Promise<ClusterStatus> {
  return new Promise<ClusterStatus>((resolve, reject) =>
    client.getStatus(create(GetStatusRequestSchema), new grpc.Metadata(), { deadline: Date.now() + deadlineMs },
      (err, res) => (err || !res ? reject(err ?? new Error("empty reply")) : resolve(res))));
}
