// A throwaway local cluster for E2E tests: `chat-cluster up` on free ports in a temp data
// dir, the primary's pid (to kill -9 it), and `down` at the end.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const chatCluster = fileURLToPath(new URL("../../../../bin/chat-cluster.js", import.meta.url));

export interface LocalCluster {
  addresses: string;
  dataDir: string;
  /** The cluster CA (with `tls`). */
  caFile: string | undefined;
  /** The id of the node that is primary now (from `chat-cluster status`). */
  primaryId(): Promise<number>;
  kill9(id: number): void;
  down(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function freeBasePort(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    const ports = Array.from({ length: nodes }, (_, i) => base + i);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error("no free ports for a test cluster");
}

/** `tls`: `up --tls` (client ports TLS, replica ports mutual TLS, a CA in the data dir). */
export async function startCluster(nodes = 3, options: { tls?: boolean } = {}): Promise<LocalCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-tui-e2e-"));
  const base = await freeBasePort(nodes);
  const args = ["up", "--nodes", String(nodes), "--base-port", String(base), "--data-dir", dataDir,
    ...(options.tls ? ["--tls"] : [])];
  await run(process.execPath, [chatCluster, ...args], { timeout: 60_000 });
  const addresses = Array.from({ length: nodes }, (_, i) => `127.0.0.1:${base + i}`).join(",");
  return {
    addresses,
    dataDir,
    caFile: options.tls ? join(dataDir, "tls", "ca.pem") : undefined,
    async primaryId() {
      const { stdout } = await run(process.execPath, [
        chatCluster,
        "status",
        "--data-dir",
        dataDir,
      ]);
      const row = stdout.split("\n").find((l) => /\sprimary\s/.test(l));
      const id = Number(row?.trim().split(/\s+/)[0]);
      if (!Number.isInteger(id)) throw new Error(`no primary in:\n${stdout}`);
      return id;
    },
    kill9(id) {
      process.kill(Number(readFileSync(join(dataDir, `node-${id}.pid`), "utf8").trim()), "SIGKILL");
    },
    async down() {
      try {
        // A failed `down` fails the test (it used to be swallowed, and nodes outlived a run).
        await run(process.execPath, [chatCluster, "down", "--data-dir", dataDir], { timeout: 30_000 });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
