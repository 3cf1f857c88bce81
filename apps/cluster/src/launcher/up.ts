// `chat-cluster up`: start every node of the local cluster that is not already running,
// wait for a primary, print the table.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { localConfig, paths, readPid, alive, writePid } from "./local.js";
import { findPrimary, renderTable, surveyCluster } from "./status-client.js";
import { upPrimaryWaitMs } from "../limits.js";

export interface UpOptions {
  nodes: number;
  basePort: number;
  dataDir: string;
  foreground: boolean;
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
  const config = localConfig(options.dataDir, options.nodes, options.basePort);
  const p = paths(options.dataDir);
  const children = new Map<number, ChildProcess>();
  for (const node of config.nodes) {
    const pid = readPid(p.pidFile(node.id));
    if (pid !== undefined && alive(pid)) continue;
    const child = spawnNode(options.dataDir, node.id, options.foreground);
    if (child.pid === undefined) throw new Error(`could not start node ${node.id}`);
    writePid(p.pidFile(node.id), child.pid);
    children.set(node.id, child);
  }
  const exited: number[] = [];
  for (const [id, child] of children) child.once("exit", () => exited.push(id));

  const addresses = config.nodes.map((n) => n.address);
  const deadline = Date.now() + upPrimaryWaitMs;
  let primary = await findPrimary(addresses);
  while (!primary && Date.now() < deadline) {
    if (exited.length > 0) {
      const id = exited[0]!;
      console.error(`chat-cluster up: node ${id} exited during start-up. Last log lines:\n${tail(p.logFile(id))}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
    primary = await findPrimary(addresses);
  }
  if (!primary) {
    console.error(`chat-cluster up: no primary after ${upPrimaryWaitMs / 1000} s; see the logs in ${p.root}`);
    return 1;
  }
  const pids = new Map(config.nodes.map((n) => [n.address, readPid(p.pidFile(n.id))]));
  console.log(renderTable(await surveyCluster(addresses), pids));
  console.log(`\ndata and logs: ${p.root}\nclients: CHAT_CLUSTER=${addresses.join(",")}`);
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
