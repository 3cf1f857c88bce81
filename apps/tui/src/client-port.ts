// The contract of @chat-tui/client, mirrored type-for-type so the TUI builds before the SDK
// lands. Types only (no runtime values): when the SDK is available this file becomes
//   export type { ChatClient, … } from "@chat-tui/client";
// and nothing else in apps/tui changes. ChatError is a class in the SDK; here it is an
// interface, and the app recognises errors by their `kind` (see format/errors.ts), never by
// `instanceof`, so the in-memory fake and the real SDK are interchangeable.

export interface ConnectOptions {
  cluster?: string | string[];
  deadlineMs?: number;
  attemptTimeoutMs?: number;
}

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

export interface NodeState {
  id: number;
  address: string;
  role: NodeRole;
  epoch: number;
  commitIndex: number;
  lastIndex: number;
  inView: boolean;
  reachable: boolean;
}

export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "connected"; nodeId: number; address: string }
  | { kind: "rebinding"; since: number }
  | { kind: "offline"; retryInMs: number; reason: string }
  | { kind: "closed" };

export interface ClusterState {
  epoch: number;
  primaryId: number | undefined;
  nodes: NodeState[];
  connection: ConnectionState;
}

export type ChatErrorKind =
  | "invalid-argument"
  | "unknown-user"
  | "username-taken"
  | "wrong-password"
  | "unauthenticated"
  | "not-allowed"
  | "self-send"
  | "rate-limited"
  | "unavailable"
  | "closed"
  | "internal";

/** The SDK's `class ChatError extends Error { readonly kind: ChatErrorKind }`. */
export interface ChatError extends Error {
  readonly kind: ChatErrorKind;
}

export interface ChatClient {
  /** Creates the account and logs in. */
  register(username: string, password: string): Promise<Session>;
  login(username: string, password: string): Promise<Session>;
  logout(): Promise<void>;
  deleteAccount(confirmUsername: string): Promise<void>;
  listUsers(
    pattern?: string,
    page?: { limit?: number; pageToken?: string }
  ): Promise<{ users: UserEntry[]; nextPageToken: string }>;
  /** Retries across failover with one clientMsgId: exactly one committed message. */
  send(to: string, text: string, options?: { clientMsgId?: string }): Promise<Message>;
  /** Oldest first. */
  history(peer: string, options?: { beforeSeq?: number; limit?: number }): Promise<Message[]>;
  markRead(peer: string, upToSeq: number): Promise<void>;
  /** Every message to/from me, exactly once, in seq order, live, resuming across failover. */
  events(options?: { afterSeq?: number; signal?: AbortSignal }): AsyncIterableIterator<Message>;
  cluster(): ClusterState;
  onChange(listener: (s: ClusterState) => void): () => void;
  readonly username: string | undefined;
  close(): void;
}
