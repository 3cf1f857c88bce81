// The one boundary between the wire (protobuf-es types, bigint, grpc metadata) and the SDK's
// domain types (plain objects, numbers). Untrusted input is checked here.
import type * as grpc from "@grpc/grpc-js";
import type {
  AuthResponse,
  ClusterStatus,
  Message as WireMessage,
  User,
} from "@chat-tui/proto";
import { ChatError } from "./errors.js";

export interface Message {
  seq: number;
  id: string;
  from: string;
  to: string;
  text: string;
  sentAtMs: number;
  clientMsgId: string;
}

export interface Session {
  username: string;
  unread: { peer: string; count: number }[];
}

export interface UserEntry {
  username: string;
  online: boolean;
}

export type NodeRole =
  | "primary"
  | "backup"
  | "candidate"
  | "joining"
  | "recovering"
  | "down"
  | "unknown";

/** What one ClusterStatus says, in domain terms. */
export interface StatusReport {
  epoch: number;
  /** The primary as the reporter knows it; undefined when it knows none. */
  primaryId: number | undefined;
  reporterId: number;
  nodes: { id: number; address: string; role: NodeRole; epoch: number; commitIndex: number;
    lastIndex: number; inView: boolean; loading: boolean }[];
}

export const metadataKeys = {
  primary: "chat-primary",
  epoch: "chat-epoch",
  requestId: "chat-request-id",
  authorization: "authorization",
} as const;

/** A uint64/int64 from the wire as a number; beyond 2^53 is a broken server, not a user error. */
export function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ChatError("internal", `server sent an out-of-range ${what}: ${value}`);
  }
  return Number(value);
}

/** A caller's number for a uint64 field; negative or fractional is the caller's mistake. */
export function toWireUint(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ChatError("invalid-argument", `${what} must be a whole number ≥ 0, not ${value}`);
  }
  return BigInt(value);
}

/** A caller's number for a uint32 field (page sizes). */
export function toWireUint32(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffff_ffff) {
    const why = `${what} must be a whole number from 0 to 2^32-1, not ${value}`;
    throw new ChatError("invalid-argument", why);
  }
  return value;
}

export function toMessage(m: WireMessage): Message {
  return {
    seq: toSafeNumber(m.seq, "seq"),
    id: m.id,
    from: m.from,
    to: m.to,
    text: m.text,
    sentAtMs: Number(m.sentAtMs),
    clientMsgId: m.clientMsgId,
  };
}

export function toSession(r: AuthResponse): Session {
  return { username: r.username, unread: r.unread.map((u) => ({ peer: u.peer, count: u.count })) };
}

export function toUserEntry(u: User): UserEntry {
  return { username: u.username, online: u.online };
}

const roles = new Set<string>(["primary", "backup", "candidate", "joining", "recovering", "down"]);

export function toNodeRole(role: string): NodeRole {
  const lower = role.toLowerCase();
  return roles.has(lower) ? (lower as NodeRole) : "unknown";
}

export function toStatusReport(s: ClusterStatus): StatusReport {
  return {
    epoch: toSafeNumber(s.epoch, "epoch"),
    primaryId: s.primaryId >= 0 ? s.primaryId : undefined,
    reporterId: s.reporterId,
    nodes: s.nodes.map((n) => ({
      id: n.id,
      address: n.address.toLowerCase(),
      role: toNodeRole(n.role),
      epoch: toSafeNumber(n.epoch, "epoch"),
      commitIndex: toSafeNumber(n.commitIndex, "commit index"),
      lastIndex: toSafeNumber(n.lastIndex, "last index"),
      inView: n.inView,
      loading: n.loading,
    })),
  };
}

function firstString(md: grpc.Metadata | undefined, key: string): string | undefined {
  const value = md?.get(key)[0];
  if (value === undefined) return undefined;
  const text = (typeof value === "string" ? value : value.toString("utf8")).trim();
  return text.length > 0 ? text : undefined;
}

/** The `chat-epoch` of a response, if any and well-formed. */
export function epochOf(...mds: (grpc.Metadata | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const md of mds) {
    const text = firstString(md, metadataKeys.epoch);
    if (text === undefined || !/^\d{1,15}$/.test(text)) continue;
    best = Math.max(best ?? 0, Number(text));
  }
  return best;
}

/** The `chat-primary: host:port` hint of an UNAVAILABLE answer, if any and well-formed. */
export function primaryHintOf(md: grpc.Metadata | undefined): string | undefined {
  const text = firstString(md, metadataKeys.primary);
  return text !== undefined && /^[^\s,]+:\d{1,5}$/.test(text) ? text.toLowerCase() : undefined;
}
