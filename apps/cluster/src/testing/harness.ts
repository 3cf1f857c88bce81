// Real node processes for tests: 127.0.0.1 only, ephemeral ports, a temp data dir, and a
// stop() that always kills every process it started. Used by the node, fault and SDK tests.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { credentialsFor, findPrimary, getStatus, type Credentials } from "../launcher/status-client.js";
import { issueCertificates } from "../launcher/certs.js";
import type { ClusterStatus } from "@chat-tui/proto";
import type { LimitOverrides } from "../config.js";

const nodeEntry = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** Ports the OS says are free now (bound to port 0 and released). */
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

export interface TestNode {
  id: number;
  address: string;
  dataDir: string;
  logFile: string;
  process: ChildProcess | undefined;
}

export interface StartOptions {
  wait?: boolean;
  /** A CA and node certificates for 127.0.0.1; client ports TLS, replica ports mTLS. */
  tls?: boolean;
  /** cluster.json's `limits` overrides (e.g. a small `snapshotEveryEntries`). */
  limits?: LimitOverrides;
}

export class TestCluster {
  private readonly credentials: Credentials;

  private constructor(
    readonly root: string,
    readonly configPath: string,
    readonly nodes: TestNode[],
    /** The cluster CA (PEM file) when the cluster runs with TLS. */
    readonly caFile: string | undefined,
  ) {
    this.credentials = credentialsFor(caFile);
  }

  static async start(size: number, options: StartOptions = {}): Promise<TestCluster> {
    const root = mkdtempSync(join(tmpdir(), "chat-test-"));
    const ports = await freePorts(size * 3);
    const nodes = Array.from({ length: size }, (_, id) => ({
      id,
      address: `127.0.0.1:${ports[id * 3]}`,
      replicaPort: ports[id * 3 + 1],
      livenessPort: ports[id * 3 + 2],
    }));
    const configPath = join(root, "cluster.json");
    const secured = options.tls ? issueCertificates(join(root, "tls"), nodes.map((n) => ({ ...n, host: "127.0.0.1" })))
      .map(({ host: _host, ...n }) => n) : nodes;
    writeFileSync(configPath, JSON.stringify({
      clusterId: "test", secret: randomBytes(18).toString("base64url"), nodes: secured,
      ...(options.limits ? { limits: options.limits } : {}),
    }), { mode: 0o600 });
    const cluster = new TestCluster(root, configPath, nodes.map((n) => ({
      id: n.id, address: n.address, dataDir: join(root, `node-${n.id}`),
      logFile: join(root, `node-${n.id}.log`), process: undefined,
    })), options.tls ? join(root, "tls", "ca.pem") : undefined);
    for (const node of cluster.nodes) cluster.startNode(node.id);
    if (options.wait !== false) await cluster.waitForPrimary();
    return cluster;
  }

  /** Runs `body` on a fresh cluster; prints the node logs if it fails; always stops the cluster. */
  static async with(size: number, options: StartOptions, body: (c: TestCluster) => Promise<void>): Promise<void> {
    const cluster = await TestCluster.start(size, options);
    try {
      await body(cluster);
    } catch (err) {
      console.error(cluster.logs(25));
      throw err;
    } finally {
      await cluster.stop();
    }
  }

  get addresses(): string[] {
    return this.nodes.map((n) => n.address);
  }

  node(id: number): TestNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  startNode(id: number): void {
    const node = this.node(id);
    if (node.process && node.process.exitCode === null && node.process.signalCode === null) {
      throw new Error(`node ${id} is running`);
    }
    mkdirSync(node.dataDir, { recursive: true, mode: 0o700 });
    const out = openSync(node.logFile, "a", 0o600);
    try {
      node.process = spawn(process.execPath,
        [nodeEntry, "node", "--id", String(id), "--config", this.configPath, "--data-dir", node.dataDir],
        { stdio: ["ignore", out, out], env: { ...process.env, UV_THREADPOOL_SIZE: "8" } });
    } finally {
      closeSync(out);
    }
  }

  /** Sends a signal and, for SIGKILL/SIGTERM, waits until the process is gone. */
  async signal(id: number, signal: NodeJS.Signals): Promise<void> {
    const child = this.node(id).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM") await gone;
  }

  async restart(id: number): Promise<void> {
    await this.signal(id, "SIGKILL");
    this.startNode(id);
  }

  async waitForPrimary(timeoutMs = 15_000): Promise<ClusterStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.nodes.filter((n) => n.process && n.process.exitCode === null && n.process.signalCode === null);
      const status = await findPrimary(live.map((n) => n.address), this.credentials);
      if (status) return status;
      if (Date.now() > deadline) throw new Error(`no primary after ${timeoutMs} ms\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async status(id: number): Promise<ClusterStatus> {
    return getStatus(this.node(id).address, 1000, this.credentials);
  }

  logs(lines = 15): string {
    return this.nodes.map((n) => {
      let text = "";
      try {
        text = readFileSync(n.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        text = "(no log)";
      }
      return `--- node ${n.id} ---\n${text}`;
    }).join("\n");
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      const child = node.process;
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGCONT");
        await this.signal(node.id, "SIGKILL");
      }
    }
    if (!process.env.TEST_KEEP_DATA) rmSync(this.root, { recursive: true, force: true });
  }
}
