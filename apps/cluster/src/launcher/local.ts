// Where a local cluster lives in its data dir: cluster.json, the TLS files (with --tls), and
// per node a data dir, a pid file and a log file.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { ConfigError, loadClusterConfig, nodeAddress, renderClusterConfig, type ClusterConfig } from "../config.js";
import { issueCertificates } from "./certs.js";

export const paths = (dataDir: string) => ({
  root: resolve(dataDir),
  config: join(resolve(dataDir), "cluster.json"),
  nodeDir: (id: number) => join(resolve(dataDir), `node-${id}`),
  pidFile: (id: number) => join(resolve(dataDir), `node-${id}.pid`),
  logFile: (id: number) => join(resolve(dataDir), `node-${id}.log`),
  tlsDir: join(resolve(dataDir), "tls"),
});

/**
 * The local cluster's config: reused when it matches (addresses and TLS), else written anew.
 * Turning TLS on or off keeps the cluster id and secret, so existing node data stays valid.
 */
export function localConfig(dataDir: string, nodes: number, basePort: number, tls: boolean): ClusterConfig {
  const p = paths(dataDir);
  mkdirSync(p.root, { recursive: true, mode: 0o700 });
  const wanted = Array.from({ length: nodes }, (_, id) =>
    nodeAddress({ id, address: `127.0.0.1:${basePort + id}` }, id));
  let identity: { clusterId: string; secret: string } = {
    clusterId: randomUUID(), secret: randomBytes(24).toString("base64url"),
  };
  if (existsSync(p.config)) {
    const existing = loadClusterConfig(p.config);
    const same = existing.nodes.length === nodes
      && existing.nodes.every((n, i) => n.address === wanted[i]!.address);
    if (same && existing.tls === tls) return existing;
    if (same) identity = { clusterId: existing.clusterId, secret: existing.secret };
    else if (existing.nodes.some((n) => existsSync(p.nodeDir(n.id)))) {
      const addresses = existing.nodes.map((n) => n.address).join(", ");
      throw new ConfigError(`${p.config} describes another cluster (${addresses}); `
        + `use it as it is, or remove ${p.root} to start over`);
    }
  }
  const config: ClusterConfig = { ...identity, nodes: tls ? issueCertificates(p.tlsDir, wanted) : wanted, tls };
  writeFileSync(p.config, renderClusterConfig(config, p.root), { mode: 0o600 });
  chmodSync(p.config, 0o600);
  return config;
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A live process that is a node of the cluster in `root`: a pid file outlives a node killed
 * with -9, and the system may give its pid to another process since. Checked on Linux, where
 * the command line (which names the data dir) is in /proc.
 */
export function aliveNodeOf(pid: number, root: string): boolean {
  if (!alive(pid)) return false;
  if (process.platform !== "linux") return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(root);
  } catch {
    return false; // gone since
  }
}

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`, { mode: 0o600 });
}
