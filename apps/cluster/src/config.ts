// The cluster file (`cluster.json`): every node's id and client address, the shared secret,
// the ports derived from each address and, optionally, TLS files. Nodes on several machines
// share one such file. It holds the secret, so it must not be readable by others (0600).
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { limits as storageLimits } from "@chat-tui/storage";

export interface NodeAddress {
  id: number;
  /** host:port of the client endpoint (ChatService, ClusterService, health, reflection). */
  address: string;
  host: string;
  port: number;
  /** ReplicaService (node to node), guarded by the cluster secret. */
  replicaPort: number;
  /** Plain TCP listener whose refused connect proves the process is gone (R7). */
  livenessPort: number;
  /** TLS files of this node (absolute paths); only the node's own cert and key must exist on its machine. */
  tls?: NodeTls;
}

export interface NodeTls {
  /** PEM certificate chain presented on the client port and to peers (mutual TLS). */
  cert: string;
  /** PEM private key of `cert` (a secret file: mode 0600). */
  key: string;
  /** PEM CA that signed every node's certificate: clients trust it, peers must chain to it. */
  ca: string;
}

/** Per-deployment overrides of the abuse limits (defaults in limits.ts). */
export interface LimitOverrides {
  sendsPerUserPerSec?: number;
  sendBurstPerUser?: number;
  /** Committed entries between snapshots (default 100,000); every node must use the same. */
  snapshotEveryEntries?: number;
  /** Bytes per frame of a streamed snapshot (default 1 MiB, at most 4 MiB). */
  snapshotPartBytes?: number;
}

export interface ClusterConfig {
  clusterId: string;
  secret: string;
  nodes: NodeAddress[];
  limits?: LimitOverrides;
  /** True when every node has TLS files: client ports serve TLS, replica ports require mTLS. */
  tls: boolean;
}

export const replicaPortOffset = 100;
export const livenessPortOffset = 200;

interface RawNode {
  id?: unknown;
  address?: unknown;
  replicaPort?: unknown;
  livenessPort?: unknown;
  tls?: unknown;
}

type RawTls = { cert?: unknown; key?: unknown; ca?: unknown } | undefined;

export class ConfigError extends Error {}

function parsePort(value: unknown, what: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${what}: "${String(value)}" is not a port (1-65535)`);
  }
  return port;
}

/** Splits `host:port` (IPv6 as `[::1]:port`). */
export function splitAddress(address: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address.trim());
  if (!match) throw new ConfigError(`"${address}" is not host:port`);
  return { host: match[1]!, port: parsePort(match[2], address) };
}

export function nodeAddress(raw: RawNode, index: number): NodeAddress {
  const id = Number(raw.id ?? index);
  if (!Number.isInteger(id) || id < 0 || id > 63) {
    throw new ConfigError(`node ${index}: id must be an integer 0-63`);
  }
  if (typeof raw.address !== "string") throw new ConfigError(`node ${id}: address missing`);
  const { host, port } = splitAddress(raw.address);
  return {
    id,
    address: raw.address,
    host,
    port,
    replicaPort: raw.replicaPort === undefined
      ? port + replicaPortOffset : parsePort(raw.replicaPort, `node ${id} replicaPort`),
    livenessPort: raw.livenessPort === undefined
      ? port + livenessPortOffset : parsePort(raw.livenessPort, `node ${id} livenessPort`),
  };
}

/** A node's TLS files: its own `tls` block, with `ca` defaulting to the top-level one. */
function nodeTls(node: RawTls, top: RawTls, id: number, baseDir: string): NodeTls | undefined {
  if (node === undefined && top === undefined) return undefined;
  const file = (value: unknown, what: string): string => {
    if (typeof value !== "string" || value === "") {
      throw new ConfigError(`node ${id}: tls.${what} must name a PEM file (TLS is on for this cluster)`);
    }
    return resolve(baseDir, value);
  };
  return { cert: file(node?.cert, "cert"), key: file(node?.key, "key"), ca: file(node?.ca ?? top?.ca, "ca") };
}

export function parseClusterConfig(text: string, source: string, baseDir = dirname(source)): ClusterConfig {
  let raw: { clusterId?: unknown; secret?: unknown; nodes?: unknown; tls?: unknown; limits?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0 || raw.nodes.length > 5) {
    throw new ConfigError(`${source}: "nodes" must list 1 to 5 nodes`);
  }
  const rawNodes = raw.nodes as RawNode[];
  const nodes = rawNodes.map(nodeAddress);
  const anyTls = raw.tls !== undefined || rawNodes.some((n) => n.tls !== undefined);
  if (anyTls) {
    // All or nothing: a cluster where some nodes speak TLS and others plain text cannot talk.
    nodes.forEach((n, i) => {
      n.tls = nodeTls((rawNodes[i]!.tls ?? {}) as RawTls, (raw.tls ?? {}) as RawTls, n.id, baseDir);
    });
  }
  const ids = new Set(nodes.map((n) => n.id));
  if (ids.size !== nodes.length) throw new ConfigError(`${source}: node ids must be unique`);
  if (typeof raw.secret !== "string" || raw.secret.length < 16) {
    throw new ConfigError(`${source}: "secret" must be a string of at least 16 characters`);
  }
  const clusterId = typeof raw.clusterId === "string" ? raw.clusterId : "chat";
  const limits = parseLimits(raw.limits, source);
  return { clusterId, secret: raw.secret, nodes, tls: anyTls, ...(limits ? { limits } : {}) };
}

function parseLimits(raw: unknown, source: string): LimitOverrides | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null) throw new ConfigError(`${source}: "limits" must be an object`);
  const out: LimitOverrides = {};
  const keys = [
    "sendsPerUserPerSec", "sendBurstPerUser", "snapshotEveryEntries", "snapshotPartBytes",
  ] as const;
  for (const key of keys) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(`${source}: limits.${key} must be a positive integer`);
    }
    out[key] = value;
  }
  if ((out.snapshotPartBytes ?? 0) > storageLimits.snapshotReceiveChunkBytesMax) {
    throw new ConfigError(`${source}: limits.snapshotPartBytes must be at most `
      + `${storageLimits.snapshotReceiveChunkBytesMax}`);
  }
  return out;
}

export function loadClusterConfig(path: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseClusterConfig(text, path);
}

/**
 * The JSON form written by `chat-cluster up` and documented in the README; TLS paths are
 * written relative to `baseDir` (the file's folder) so the folder can be copied elsewhere.
 */
export function renderClusterConfig(config: ClusterConfig, baseDir: string): string {
  const path = (file: string): string => (isAbsolute(file) ? relative(baseDir, file) : file);
  const ca = config.nodes[0]?.tls?.ca;
  const tlsOf = (t: NodeTls) => ({ cert: path(t.cert), key: path(t.key), ...(t.ca === ca ? {} : { ca: path(t.ca) }) });
  const nodes = config.nodes.map((n) => ({ id: n.id, address: n.address, ...(n.tls ? { tls: tlsOf(n.tls) } : {}) }));
  const tls = config.tls && ca ? { tls: { ca: path(ca) } } : {};
  return `${JSON.stringify({ clusterId: config.clusterId, secret: config.secret, ...tls, nodes }, null, 2)}\n`;
}

/**
 * Refuses (one clear line) a secret file that others can read: the cluster secret and TLS
 * private keys are as good as a password. Not enforced on Windows, which has no mode bits.
 */
export function assertPrivateFile(path: string, what: string): void {
  if (process.platform === "win32") return;
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, "0");
    throw new ConfigError(`${what} ${path} is readable by others (mode ${octal}); run: chmod 600 ${path}`);
  }
}
