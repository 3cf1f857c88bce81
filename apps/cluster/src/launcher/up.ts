// `chat-cluster up`: start every node of the local cluster that is not already running,
// wait for a primary, print the table.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync, existsSync } from "node:fs";
import { loadClusterConfig } from "../config.js";
import { fileURLToPath } from "node:url";
import { localConfig, paths, readPid, alive, writePid } from "./local.js";
import { credentialsFor, findPrimary, renderTable, surveyCluster } from "./status-client.js";
import { upPrimaryWaitMs } from "../limits.js";

export interface UpOptions {
  nodes: number;
  basePort: number;
  dataDir: string;
  foreground: boolean;
  /** true: TLS on (a local CA is created once); undefined: keep what the data dir has. */
  tls: boolean | undefined;
}

const nodeEntry = fileURLToPath(new URL("../main.js", import.meta.url));

export function nodeEnv(): NodeJS.ProcessEnv {
  // R9: a bigger libuv pool so fdatasync never queues behind scrypt.
  return { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "8" };
}

export function spawnNode(dataDir: string, id: number, foreground: boolean): ChildProcess {
  const p = paths(dataDir);
  mkdirSync(p.nodeDir(id), { recursive: true, mode: 0o700 });
  const args = [nodeEntry, "node", "--id", String(id), "--config", p.config, "--data-dir", p.nodeDir(id)];
  if (foreground) {
    return spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], env: nodeEnv() });
  }
  const out = openSync(p.logFile(id), "a", 0o600);
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", out, out], env: nodeEnv() });
    child.unref();
    return child;
  } finally {
    closeSync(out);
  }
}

function tail(file: string, lines = 8): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

export async function up(options: UpOptions): Promise<number> {
  const p = paths(options.dataDir);
  const running = (id: number): boolean => {
    const pid = readPid(p.pidFile(id));
    return pid !== undefined && alive(pid);
  };
  const before = existsSync(p.config) ? loadClusterConfig(p.config) : undefined;
  const tls = options.tls ?? before?.tls ?? false;
  if (before && before.tls !== tls && before.nodes.some((n) => running(n.id))) {
    const now = before.tls ? "with" : "without";
    console.error(`chat-cluster up: the running cluster is ${now} TLS; run \`chat-cluster down\` first`);
    return 1;
  }
  const config = localConfig(options.dataDir, options.nodes, options.basePort, tls);
  const credentials = credentialsFor(config.nodes[0]?.tls?.ca);
  const children = new Map<number, ChildProcess>();
  for (const node of config.nodes) {
    if (running(node.id)) continue;
    const child = spawnNode(options.dataDir, node.id, options.foreground);
    if (child.pid === undefined) throw new Error(`could not start node ${node.id}`);
    writePid(p.pidFile(node.id), child.pid);
    children.set(node.id, child);
  }
  const exited: number[] = [];
  for (const [id, child] of children) child.once("exit", () => exited.push(id));

  const addresses = config.nodes.map((n) => n.address);
  const deadline = Date.now() + upPrimaryWaitMs;
  let primary = await findPrimary(addresses, credentials);
  while (!primary && Date.now() < deadline) {
    if (exited.length > 0) {
      const id = exited[0]!;
      console.error(`chat-cluster up: node ${id} exited during start-up. Last log lines:\n${tail(p.logFile(id))}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
    primary = await findPrimary(addresses, credentials);
  }
  if (!primary) {
    console.error(`chat-cluster up: no primary after ${upPrimaryWaitMs / 1000} s; see the logs in ${p.root}`);
    return 1;
  }
  const pids = new Map(config.nodes.map((n) => [n.address, readPid(p.pidFile(n.id))]));
  console.log(renderTable(await surveyCluster(addresses, credentials), pids));
  console.log(`\ndata and logs: ${p.root}\nclients: CHAT_CLUSTER=${addresses.join(",")}`);
  const ca = config.nodes[0]?.tls?.ca;
  if (ca) {
    console.log(`TLS is on; clients trust the cluster's CA: chat-tui --tls-ca ${ca}  (or CHAT_TLS_CA=${ca})`);
  }
  if (!options.foreground) return 0;
  return waitForeground(children);
}

async function waitForeground(children: Map<number, ChildProcess>): Promise<number> {
  const stop = (): void => {
    for (const child of children.values()) child.kill("SIGTERM");
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await Promise.all([...children.values()].map((c) =>
    c.exitCode !== null ? undefined : new Promise((r) => c.once("exit", r))));
  return 0;
}
