// The cluster file (`cluster.json`): every node's id and client address, the shared secret,
// and the ports derived from each address. Nodes on several machines share one such file.
import { readFileSync } from "node:fs";

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
}

export interface ClusterConfig {
  clusterId: string;
  secret: string;
  nodes: NodeAddress[];
}

export const replicaPortOffset = 100;
export const livenessPortOffset = 200;

interface RawNode {
  id?: unknown;
  address?: unknown;
  replicaPort?: unknown;
  livenessPort?: unknown;
}

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

export function parseClusterConfig(text: string, source: string): ClusterConfig {
  let raw: { clusterId?: unknown; secret?: unknown; nodes?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0 || raw.nodes.length > 5) {
    throw new ConfigError(`${source}: "nodes" must list 1 to 5 nodes`);
  }
  const nodes = (raw.nodes as RawNode[]).map(nodeAddress);
  const ids = new Set(nodes.map((n) => n.id));
  if (ids.size !== nodes.length) throw new ConfigError(`${source}: node ids must be unique`);
  if (typeof raw.secret !== "string" || raw.secret.length < 16) {
    throw new ConfigError(`${source}: "secret" must be a string of at least 16 characters`);
  }
  const clusterId = typeof raw.clusterId === "string" ? raw.clusterId : "chat";
  return { clusterId, secret: raw.secret, nodes };
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

/** The JSON form written by `chat-cluster up` and documented in the README. */
export function renderClusterConfig(config: ClusterConfig): string {
  const nodes = config.nodes.map((n) => ({ id: n.id, address: n.address }));
  return `${JSON.stringify({ clusterId: config.clusterId, secret: config.secret, nodes }, null, 2)}\n`;
}
