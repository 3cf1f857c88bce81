// The seed list of node addresses: parsed from `--cluster`, CHAT_CLUSTER or a list, checked,
// de-duplicated, bounded. Pure.
import { ChatError } from "./errors.js";
import { defaultClusterAddresses, nodesMax } from "./limits.js";

const hostPortPattern = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * Parses `"h:p,h:p"` (commas or whitespace between entries) into `["h:p", …]`.
 * Throws ChatError("invalid-argument") on an entry that is not `host:port`, or when empty.
 */
export function parseClusterList(s: string | readonly string[]): string[] {
  const parts = (typeof s === "string" ? [s] : s)
    .flatMap((entry) => entry.split(/[\s,]+/))
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const seen = new Set<string>();
  for (const part of parts) {
    const match = hostPortPattern.exec(part);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65_535) {
      throw new ChatError("invalid-argument", `bad cluster address "${part}" (want host:port)`);
    }
    seen.add(part.toLowerCase());
  }
  if (seen.size === 0) {
    throw new ChatError("invalid-argument", "empty cluster list (want host:port,…)");
  }
  if (seen.size > nodesMax) {
    const why = `too many cluster addresses (${seen.size} > ${nodesMax})`;
    throw new ChatError("invalid-argument", why);
  }
  return [...seen];
}

/** `host:port` of a checked address, brackets of an IPv6 host removed. */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = hostPortPattern.exec(address);
  if (!match) throw new ChatError("invalid-argument", `bad cluster address "${address}" (want host:port)`);
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port: Number(match[2]) };
}

/** The seed list: the option, else CHAT_CLUSTER, else the local cluster on 50051–50053. */
export function resolveClusterList(
  option?: string | readonly string[],
  env: Record<string, string | undefined> = process.env,
): string[] {
  if (option !== undefined) return parseClusterList(option);
  const fromEnv = env["CHAT_CLUSTER"]?.trim();
  if (fromEnv) return parseClusterList(fromEnv);
  return [...defaultClusterAddresses];
}
