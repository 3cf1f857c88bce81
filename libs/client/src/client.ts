// The ChatClient: one object per person (or bot) talking to the cluster. It holds the login
// token, builds each call's metadata once (authorization, `chat-request-id`) so every retry
// is the same request, and delegates routing to the Router, retries to callWithRetry and
// the event stream to EventStream.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  DeleteAccountRequestSchema,
  HistoryRequestSchema,
  ListUsersRequestSchema,
  LoginRequestSchema,
  LogoutRequestSchema,
  MarkReadRequestSchema,
  RegisterRequestSchema,
  SendMessageRequestSchema,
  type AuthResponse,
  type HistoryResponse,
  type ListUsersResponse,
  type SendMessageResponse,
} from "@chat-tui/proto";
import { callWithRetry, type CallTiming, type UnarySpec } from "./call.js";
import { resolveClusterList } from "./cluster-list.js";
import { channelCredentials } from "./tls.js";
import type { ClusterState } from "./cluster-view.js";
import {
  metadataKeys,
  toMessage,
  toSession,
  toUserEntry,
  toWireUint,
  toWireUint32,
  type Message,
  type Session,
  type UserEntry,
} from "./codec.js";
import { ChatError, closedError } from "./errors.js";
import { EventStream } from "./events.js";
import { attemptTimeoutMsDefault, authAttemptTimeoutMs, callDeadlineMsDefault } from "./limits.js";
import { Router } from "./router.js";
import { SendPipe, SendPipeUnsupported } from "./send-pipe.js";

export interface ConnectOptions {
  /** "h:p,h:p" or a list; default process.env.CHAT_CLUSTER, else 127.0.0.1:50051-50053. */
  cluster?: string | string[];
  /** Overall deadline per call, retries included (default 10 000 ms). */
  deadlineMs?: number;
  /** Deadline of one attempt (default 1 000 ms; see limits.ts for why not R22's 250 ms). */
  attemptTimeoutMs?: number;
  /**
   * Trust this CA and speak TLS: PEM text (string or Buffer) or the path of a PEM file.
   * Default process.env.CHAT_TLS_CA (a path), else plain text.
   */
  tlsCa?: string | Buffer;
  /**
   * Pipeline the sends of a session on one SendMessages stream (default true): many sends in
   * flight cost one stream, not one call each. false: one SendMessage call per send.
   */
  sendStream?: boolean;
}

export interface ChatClient {
  register(username: string, password: string): Promise<Session>;
  login(username: string, password: string): Promise<Session>;
  logout(): Promise<void>;
  deleteAccount(confirmUsername: string): Promise<void>;
  listUsers(
    pattern?: string,
    page?: { limit?: number; pageToken?: string },
  ): Promise<{ users: UserEntry[]; nextPageToken: string }>;
  send(to: string, text: string, options?: { clientMsgId?: string }): Promise<Message>;
  history(peer: string, options?: { beforeSeq?: number; limit?: number }): Promise<Message[]>;
  markRead(peer: string, upToSeq: number): Promise<void>;
  events(options?: { afterSeq?: number; signal?: AbortSignal }): AsyncIterableIterator<Message>;
  cluster(): ClusterState;
  onChange(listener: (state: ClusterState) => void): () => void;
  readonly username: string | undefined;
  close(): void;
}

/** Returns at once; the client starts watching the cluster in the background. */
export function connect(options: ConnectOptions = {}): ChatClient {
  return new Client(options);
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    const why = `${name} must be a positive number of ms, not ${value}`;
    throw new ChatError("invalid-argument", why);
  }
  return value;
}

class Client implements ChatClient {
  private readonly router: Router;
  private readonly timing: CallTiming;
  private token: string | undefined;
  private user: string | undefined;
  private readonly sendStream: boolean;
  /** The session's send stream (when `sendStream`), made at login. */
  private pipe: SendPipe | undefined;

  constructor(options: ConnectOptions) {
    const seeds = resolveClusterList(options.cluster);
    const deadlineMs = positiveMs(options.deadlineMs, callDeadlineMsDefault, "deadlineMs");
    const attemptTimeoutMs = positiveMs(
      options.attemptTimeoutMs, attemptTimeoutMsDefault, "attemptTimeoutMs");
    this.timing = { deadlineMs, attemptTimeoutMs: Math.min(attemptTimeoutMs, deadlineMs) };
    const { credentials, ca } = channelCredentials(options.tlsCa);
    this.router = new Router(seeds, this.timing.attemptTimeoutMs, credentials, ca);
    this.router.start();
    this.sendStream = options.sendStream ?? true;
  }

  get username(): string | undefined {
    return this.user;
  }

  async register(username: string, password: string): Promise<Session> {
    const request = create(RegisterRequestSchema, { username, password });
    const response = await this.call<AuthResponse>("register", username, this.metadata(true, false),
      (stub, md, opts, cb) => stub.register(request, md, opts, cb));
    return this.adoptSession(response);
  }

  async login(username: string, password: string): Promise<Session> {
    const request = create(LoginRequestSchema, { username, password });
    const response = await this.call<AuthResponse>("login", username, this.metadata(true, false),
      (stub, md, opts, cb) => stub.login(request, md, opts, cb));
    return this.adoptSession(response);
  }

  async logout(): Promise<void> {
    const metadata = this.metadata(true, true);
    this.forgetSession();
    const request = create(LogoutRequestSchema);
    try {
      await this.call("logout", undefined, metadata,
        (stub, md, opts, cb) => stub.logout(request, md, opts, cb));
    } catch (err) {
      // The token was already gone (expired, or an earlier logout committed): logged out.
      if (!(err instanceof ChatError && err.kind === "unauthenticated")) throw err;
    }
  }

  async deleteAccount(confirmUsername: string): Promise<void> {
    const request = create(DeleteAccountRequestSchema, { confirmUsername });
    await this.call("deleteAccount", confirmUsername, this.metadata(true, true),
      (stub, md, opts, cb) => stub.deleteAccount(request, md, opts, cb));
    this.forgetSession();
  }

  async listUsers(
    pattern = "",
    page: { limit?: number; pageToken?: string } = {},
  ): Promise<{ users: UserEntry[]; nextPageToken: string }> {
    const limit = toWireUint32(page.limit ?? 0, "limit");
    const pageToken = page.pageToken ?? "";
    const request = create(ListUsersRequestSchema, { pattern, limit, pageToken });
    const response = await this.call<ListUsersResponse>(
      "listUsers", undefined, this.metadata(false, true),
      (stub, md, opts, cb) => stub.listUsers(request, md, opts, cb));
    return { users: response.users.map(toUserEntry), nextPageToken: response.nextPageToken };
  }

  async send(to: string, text: string, options: { clientMsgId?: string } = {}): Promise<Message> {
    // Generated once per message: every retry of this send carries the same key (R21).
    const clientMsgId = options.clientMsgId ?? randomUUID();
    const request = create(SendMessageRequestSchema, { to, text, clientMsgId });
    if (this.pipe?.supported && !this.router.signal.aborted) {
      try {
        return toMessage(await this.pipe.send(request));
      } catch (err) {
        if (!(err instanceof SendPipeUnsupported)) throw err;
      }
    }
    const response = await this.call<SendMessageResponse>(
      "sendMessage", to, this.metadata(true, true),
      (stub, md, opts, cb) => stub.sendMessage(request, md, opts, cb));
    if (!response.message) {
      throw new ChatError("internal", "the server answered a send without its message");
    }
    return toMessage(response.message);
  }

  async history(
    peer: string,
    options: { beforeSeq?: number; limit?: number } = {},
  ): Promise<Message[]> {
    const request = create(HistoryRequestSchema, {
      peer,
      beforeSeq: toWireUint(options.beforeSeq ?? 0, "beforeSeq"),
      limit: toWireUint32(options.limit ?? 0, "limit"),
    });
    const response = await this.call<HistoryResponse>("history", peer, this.metadata(false, true),
      (stub, md, opts, cb) => stub.history(request, md, opts, cb));
    return response.messages.map(toMessage);
  }

  async markRead(peer: string, upToSeq: number): Promise<void> {
    const wireUpToSeq = toWireUint(upToSeq, "upToSeq");
    const request = create(MarkReadRequestSchema, { peer, upToSeq: wireUpToSeq });
    await this.call("markRead", peer, this.metadata(true, true),
      (stub, md, opts, cb) => stub.markRead(request, md, opts, cb));
  }

  events(
    options: { afterSeq?: number; signal?: AbortSignal } = {},
  ): AsyncIterableIterator<Message> {
    const afterSeq = Number(toWireUint(options.afterSeq ?? 0, "afterSeq"));
    return new EventStream(this.router, {
      afterSeq,
      attemptTimeoutMs: this.timing.attemptTimeoutMs,
      auth: () => {
        const md = this.metadata(false, true);
        return md instanceof ChatError ? undefined : md;
      },
      signal: options.signal,
    });
  }

  cluster(): ClusterState {
    return this.router.view.state();
  }

  onChange(listener: (state: ClusterState) => void): () => void {
    return this.router.view.onChange(listener);
  }

  close(): void {
    this.pipe?.close();
    this.router.close();
  }

  /** One logical call: fails fast when closed or (for authenticated calls) logged out. */
  private call<Res>(
    method: string,
    subject: string | undefined,
    metadata: grpc.Metadata | ChatError,
    start: UnarySpec<Res>["start"],
  ): Promise<Res> {
    if (this.router.signal.aborted) return Promise.reject(closedError());
    if (metadata instanceof ChatError) return Promise.reject(metadata);
    const spec = { context: { method, subject }, metadata, start };
    // Register and Login hash a password with scrypt on purpose slowly, and queue behind each
    // other on the node: a short attempt timeout would abandon them and retry into the queue.
    const hashes = method === "register" || method === "login";
    const attemptTimeoutMs = Math.min(this.timing.deadlineMs, Math.max(this.timing.attemptTimeoutMs, authAttemptTimeoutMs));
    const timing = hashes ? { ...this.timing, attemptTimeoutMs } : this.timing;
    return callWithRetry(this.router, timing, spec);
  }

  /** Metadata kept across every retry of one logical call. */
  private metadata(mutating: boolean, authenticated: boolean): grpc.Metadata | ChatError {
    const md = new grpc.Metadata();
    if (authenticated) {
      if (this.token === undefined) {
        return new ChatError("unauthenticated", "not logged in; log in first");
      }
      md.set(metadataKeys.authorization, `Bearer ${this.token}`);
    }
    if (mutating) md.set(metadataKeys.requestId, randomUUID());
    return md;
  }

  private adoptSession(response: AuthResponse): Session {
    this.forgetSession();
    this.token = response.token;
    this.user = response.username;
    if (this.sendStream) this.pipe = new SendPipe(this.router, this.timing, response.token);
    return toSession(response);
  }

  private forgetSession(): void {
    this.pipe?.close(new ChatError("unauthenticated", "the session ended before the message was sent"));
    this.pipe = undefined;
    this.token = undefined;
    this.user = undefined;
  }
}
