// The status bar's words: who you are, each node (id, role, up/down), the epoch, and the
// connection as the SDK reports it. Shortened step by step to fit narrow terminals.
import type { ClusterState, ConnectionState, NodeState } from "../client-port.js";
import { fit, widthOf } from "./text.js";
import { assertNever } from "../assert-never.js";

/** `elapsedMs`: time since the SDK reported this state (the offline countdown runs down). */
export function connectionText(c: ConnectionState, cluster: ClusterState, elapsedMs = 0): string {
  switch (c.kind) {
    case "connecting":
      return "connecting…";
    case "connected": {
      const role = cluster.nodes.find((n) => n.id === c.nodeId)?.role ?? "unknown";
      return `connected to node ${c.nodeId} (${role})`;
    }
    case "rebinding":
      return "rebinding…";
    case "offline":
      return `offline — retrying in ${Math.max(1, Math.ceil((c.retryInMs - elapsedMs) / 1000))} s`;
    case "closed":
      return "closed";
    default:
      return assertNever(c);
  }
}

/**
 * Up unless the cluster says down, or this client cannot reach it and the primary's view
 * leaves it out. (The SDK reports `reachable: false` for nodes it has not called yet, so
 * reachability alone would show healthy backups as down right after start.)
 */
export const nodeUp = (n: NodeState): boolean => n.role !== "down" && (n.reachable || n.inView);

function nodeText(n: NodeState, short: boolean): string {
  if (!nodeUp(n)) return short ? `${n.id}:DOWN` : `n${n.id} DOWN`;
  const role = short ? (n.role[0] ?? "?").toUpperCase() : n.role;
  // Restoring or catching up its state: it would serve late if elected.
  return short ? `${n.id}:${role}` : `n${n.id} ${role}${n.loading ? " (loading)" : ""}`;
}

/**
 * The status line, exactly `width` columns: left part, then the connection right-aligned.
 * Offline, the reason comes first (e.g. "… speaks TLS: trust the cluster's CA") when it fits
 * beside the user's name: it is what the person must act on.
 */
export function statusLine(
  me: string | undefined,
  cluster: ClusterState,
  width: number,
  elapsedMs = 0
): string {
  const c = cluster.connection;
  if (c.kind === "offline" && c.reason !== "") {
    const retry = connectionText(c, cluster, elapsedMs).replace(/^offline — /, "");
    const left = me ?? "";
    for (const right of [`offline: ${c.reason} · ${retry}`, `offline: ${c.reason}`]) {
      if (widthOf(left) + 3 + widthOf(right) <= width) {
        return left + " ".repeat(width - widthOf(left) - widthOf(right)) + right;
      }
    }
  }
  const right = connectionText(c, cluster, elapsedMs);
  const nodes = [...cluster.nodes].sort((a, b) => a.id - b.id);
  const who = me ?? "";
  const variants = [
    [who, nodes.map((n) => nodeText(n, false)).join("  "), `epoch ${cluster.epoch}`],
    [who, nodes.map((n) => nodeText(n, false)).join(" "), `epoch ${cluster.epoch}`],
    [who, nodes.map((n) => nodeText(n, false)).join(" "), `e${cluster.epoch}`],
    [who, nodes.map((n) => nodeText(n, true)).join(" "), `e${cluster.epoch}`],
    [who, nodes.map((n) => nodeText(n, true)).join(" ")],
    [who],
  ];
  for (const parts of variants) {
    const left = parts.filter((p) => p !== "").join(" │ ");
    if (widthOf(left) + 3 + widthOf(right) <= width) {
      return left + " ".repeat(width - widthOf(left) - widthOf(right)) + right;
    }
  }
  return fit(right, width);
}
