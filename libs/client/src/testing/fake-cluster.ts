// An in-process fake of the chat cluster for the SDK's tests: N grpc-js servers on
// 127.0.0.1 sharing one tiny in-memory chat (shared state stands in for perfect replication).
// Switches: which node is primary (backups answer UNAVAILABLE + `chat-primary`), stop/start a
// node (forceShutdown, same port), silence a node (no answers, no heartbeats — a SIGSTOP),
// commit-then-fail replies, replay overlap on Subscribe, stale redirects. Test-only code.
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  AuthResponseSchema,
  ChatService,
  ClusterService,
  ClusterStatusSchema,
  DeleteAccountResponseSchema,
  EventSchema,
  HistoryResponseSchema,
  ListUsersResponseSchema,
  LogoutResponseSchema,
  MarkReadResponseSchema,
  MessageSchema,
  SendMessageResponseSchema,
  SendMessagesResponseSchema,
  addService,
  type SendItem,
  type SendMessagesRequest,
  type SendMessagesResponse,
  type ClusterStatus,
  type Event,
  type Message,
  type ServiceImpl,
} from "@chat-tui/proto";

interface Fault {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

interface Stream {
  node: number;
  call: grpc.ServerWritableStream<unknown, Event>;
  user: string;
  cursor: number;
}

type SendStream = grpc.ServerDuplexStream<SendMessagesRequest, SendMessagesResponse>;

interface Node {
  port: number;
  server: grpc.Server | undefined;
  silent: boolean;
  /** Answer every ChatService call with this redirect (chat-primary + chat-epoch) instead. */
  staleRedirect: { to: string; epoch: number } | undefined;
  watchers: Set<grpc.ServerWritableStream<unknown, ClusterStatus>>;
  held: (() => void)[];
}

type Outcome = { ok: true; value: unknown } | { ok: false; fault: Fault };

const fault = (code: grpc.status, details: string): Fault => ({ code, details });

export class FakeCluster {
  epoch = 1;
  primary: number | undefined = 0;
  /** Calls per node and method, e.g. `calls[0].sendMessage`. */
  readonly calls: Record<string, number>[];
  /** Mutating replies still to fail after committing (the reply is lost in a "failover"). */
  failRepliesAfterCommit = 0;
  /** New Subscribe streams start this many of the user's events before `after_seq`. */
  replayOverlap = 0;
  /** WatchCluster streams get no updates after their first status (GetStatus still answers). */
  quietWatch = false;
  /** Nodes answer SendMessages with UNIMPLEMENTED (an older server). */
  noSendStream = false;
  readonly messages: Message[] = [];
  /** Every mutating call as received: method, `chat-request-id` and (sends) `client_msg_id`. */
  readonly mutations: { node: number; method: string; requestId: string; clientMsgId?: string }[] = [];
  private readonly nodes: Node[];
  private readonly users = new Map<string, string>();
  private readonly sessions = new Map<string, string>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly sent = new Map<string, Message>();
  private readonly streams = new Set<Stream>();
  private readonly sendStreams = new Set<{ node: number; call: SendStream }>();
  private readonly heartbeat: NodeJS.Timeout;
  private tokens = 0;

  private constructor(ports: number[], heartbeatMs: number) {
    this.nodes = ports.map((port) => ({
      port, server: undefined, silent: false, staleRedirect: undefined, watchers: new Set(), held: [],
    }));
    this.calls = ports.map(() => ({}));
    this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
  }

  /** Starts `nodes` servers (or only reserves their ports when `stopped`). */
  static async start(options: { nodes?: number; heartbeatMs?: number; stopped?: boolean } = {}) {
    const count = options.nodes ?? 3;
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await reservePort());
    const cluster = new FakeCluster(ports, options.heartbeatMs ?? 100);
    if (!options.stopped) for (let i = 0; i < count; i++) await cluster.startNode(i);
    return cluster;
  }

  get addresses(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`);
  }

  get clusterList(): string {
    return this.addresses.join(",");
  }

  async startNode(i: number): Promise<void> {
    const node = this.nodes[i]!;
    if (node.server) return;
    const server = new grpc.Server();
    addService(server, ChatService, this.chatImpl(i));
    addService(server, ClusterService, this.clusterImpl(i));
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${node.port}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err ? reject(err) : resolve()));
    node.server = server;
    this.broadcastStatus();
  }

  /** Kills a node: every connection and stream to it drops. */
  stopNode(i: number): void {
    const node = this.nodes[i]!;
    node.server?.forceShutdown();
    node.server = undefined;
    node.silent = false;
    node.held = [];
    node.watchers.clear();
    for (const s of this.streams) if (s.node === i) this.streams.delete(s);
    for (const s of this.sendStreams) if (s.node === i) this.sendStreams.delete(s);
    this.broadcastStatus();
  }

  /** A SIGSTOP: the node keeps its sockets but answers nothing and sends no heartbeats. */
  setSilent(i: number, silent: boolean): void {
    const node = this.nodes[i]!;
    node.silent = silent;
    if (!silent) for (const release of node.held.splice(0)) release();
  }

  setStaleRedirect(i: number, redirect: { to: string; epoch: number } | undefined): void {
    this.nodes[i]!.staleRedirect = redirect;
  }

  /** A failover: a new epoch with `i` as primary; streams on other nodes end UNAVAILABLE. */
  setPrimary(i: number | undefined): void {
    this.epoch += 1;
    this.primary = i;
    for (const s of [...this.streams]) {
      if (s.node === i || this.nodes[s.node]!.silent) continue; // a stopped process says nothing
      this.streams.delete(s);
      s.call.emit("error", this.notPrimary());
    }
    for (const s of [...this.sendStreams]) {
      if (s.node === i || this.nodes[s.node]!.silent) continue;
      this.sendStreams.delete(s);
      s.call.emit("error", this.notPrimary());
    }
    this.broadcastStatus();
  }

  /** Commits a message directly, as if `from` had sent it (no RPC). */
  inject(from: string, to: string, text: string): Message {
    if (!this.users.has(from)) this.users.set(from, "password");
    if (!this.users.has(to)) this.users.set(to, "password");
    return this.send(from, to, text, "");
  }

  userMessages(user: string): Message[] {
    return this.messages.filter((m) => m.from === user || m.to === user);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (let i = 0; i < this.nodes.length; i++) this.stopNode(i);
  }

  /** Why node i does not serve a chat call: a stale redirect it was told to give, or not primary. */
  private refusal(i: number): Fault | undefined {
    const redirect = this.nodes[i]!.staleRedirect;
    if (redirect) {
      const metadata = new grpc.Metadata();
      metadata.set("chat-primary", redirect.to);
      metadata.set("chat-epoch", String(redirect.epoch));
      return { code: grpc.status.UNAVAILABLE, details: "stale", metadata };
    }
    return this.primary === i ? undefined : this.notPrimary();
  }

  private notPrimary(): Fault {
    const metadata = new grpc.Metadata();
    if (this.primary !== undefined) metadata.set("chat-primary", this.addresses[this.primary]!);
    metadata.set("chat-epoch", String(this.epoch));
    return { code: grpc.status.UNAVAILABLE, details: "not the primary", metadata };
  }

  private trailer(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set("chat-epoch", String(this.epoch));
    return md;
  }

  private count(i: number, method: string): void {
    const calls = this.calls[i]!;
    calls[method] = (calls[method] ?? 0) + 1;
  }

  private auth(call: { metadata: grpc.Metadata }): string {
    const header = String(call.metadata.get("authorization")[0] ?? "");
    const user = this.sessions.get(header.replace(/^Bearer /, ""));
    if (!user) throw fault(grpc.status.UNAUTHENTICATED, "invalid or expired token");
    return user;
  }

  /** Runs a unary handler on node i with the switches applied. */
  private unary<Req, Res>(
    i: number,
    method: string,
    mutating: boolean,
    body: (call: grpc.ServerUnaryCall<Req, Res>) => Res,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      this.count(i, method);
      if (mutating) {
        const requestId = String(call.metadata.get("chat-request-id")[0] ?? "");
        const clientMsgId = (call.request as { clientMsgId?: string }).clientMsgId;
        this.mutations.push({ node: i, method, requestId, clientMsgId });
      }
      const node = this.nodes[i]!;
      const answer = (): void => {
        if (!node.server) return;
        const refused = this.refusal(i);
        if (refused) return callback(refused);
        const requestId = String(call.metadata.get("chat-request-id")[0] ?? "");
        const outcome = this.run(requestId, mutating, () => body(call));
        if (mutating && this.failRepliesAfterCommit > 0) {
          this.failRepliesAfterCommit -= 1;
          return callback(fault(grpc.status.UNAVAILABLE, "stepped down before replying"));
        }
        if (outcome.ok) callback(null, outcome.value as Res, this.trailer());
        else callback(outcome.fault);
      };
      if (node.silent) node.held.push(answer);
      else answer();
    };
  }

  /** Applies `body` once per `chat-request-id` (a repeat returns the stored outcome). */
  private run<Res>(requestId: string, mutating: boolean, body: () => Res): Outcome {
    if (mutating && requestId) {
      const stored = this.outcomes.get(requestId);
      if (stored) return stored;
    }
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: body() };
    } catch (err) {
      if (err instanceof Error) throw err;
      outcome = { ok: false, fault: err as Fault };
    }
    if (mutating && requestId) this.outcomes.set(requestId, outcome);
    return outcome;
  }

  /** One send of a SendMessages request, answered in a response of its own. */
  private sendItem(i: number, call: SendStream, entry: { node: number; call: SendStream }, item: SendItem,
    user: () => string | undefined): void {
    const node = this.nodes[i]!;
    this.count(i, "sendMessage");
    const clientMsgId = item.send?.clientMsgId ?? "";
    this.mutations.push({ node: i, method: "sendMessage", requestId: item.requestId, clientMsgId });
    const answer = (): void => {
      const from = user();
      if (!node.server || from === undefined || !this.sendStreams.has(entry)) return;
      const { to = "", text = "" } = item.send ?? {};
      const outcome = this.run(item.requestId, true, () => this.send(from, to, text, clientMsgId));
      if (this.failRepliesAfterCommit > 0) {
        this.failRepliesAfterCommit -= 1;
        this.sendStreams.delete(entry);
        return void call.emit("error", fault(grpc.status.UNAVAILABLE, "stepped down before replying"));
      }
      const result = outcome.ok
        ? { ref: item.ref, message: outcome.value as Message }
        : { ref: item.ref, error: { code: outcome.fault.code, message: outcome.fault.details } };
      call.write(create(SendMessagesResponseSchema, { results: [result] }));
    };
    if (node.silent) node.held.push(answer);
    else answer();
  }

  /** SendMessages on node i: the same switches as a unary call, per stream and per send. */
  private sendStream(i: number, call: SendStream): void {
    const node = this.nodes[i]!;
    const entry = { node: i, call };
    let user: string | undefined;
    this.count(i, "sendMessages");
    const open = (): void => {
      if (!node.server) return;
      if (this.noSendStream) {
        return void call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "unknown method" });
      }
      const refused = this.refusal(i);
      if (refused) return void call.emit("error", refused);
      try {
        user = this.auth(call);
      } catch (err) {
        return void call.emit("error", err);
      }
      call.sendMetadata(this.trailer());
      this.sendStreams.add(entry);
    };
    call.on("data", (request: SendMessagesRequest) => {
      for (const item of request.sends) this.sendItem(i, call, entry, item, () => user);
    });
    call.on("cancelled", () => this.sendStreams.delete(entry));
    call.on("error", () => this.sendStreams.delete(entry));
    if (node.silent) node.held.push(open);
    else open();
  }

  private login(username: string): unknown {
    const token = `token-${username}-${++this.tokens}`;
    this.sessions.set(token, username);
    return create(AuthResponseSchema, { token, username, unread: [] });
  }

  private chatImpl(i: number): ServiceImpl<typeof ChatService.method> {
    return {
      register: this.unary(i, "register", true, (call) => {
        const { username, password } = call.request;
        if (username.length === 0) throw fault(grpc.status.INVALID_ARGUMENT, "username is empty");
        if (this.users.has(username)) throw fault(grpc.status.ALREADY_EXISTS, `"${username}" taken`);
        this.users.set(username, password);
        return this.login(username) as never;
      }),
      login: this.unary(i, "login", true, (call) => {
        const { username, password } = call.request;
        if (!this.users.has(username)) throw fault(grpc.status.NOT_FOUND, "no such user");
        if (this.users.get(username) !== password) {
          throw fault(grpc.status.UNAUTHENTICATED, "wrong password");
        }
        return this.login(username) as never;
      }),
      logout: this.unary(i, "logout", true, (call) => {
        this.auth(call);
        this.sessions.delete(String(call.metadata.get("authorization")[0]).replace(/^Bearer /, ""));
        return create(LogoutResponseSchema);
      }),
      deleteAccount: this.unary(i, "deleteAccount", true, (call) => {
        const user = this.auth(call);
        if (call.request.confirmUsername !== user) {
          throw fault(grpc.status.FAILED_PRECONDITION, "confirmation does not match your username");
        }
        this.users.delete(user);
        return create(DeleteAccountResponseSchema);
      }),
      listUsers: this.unary(i, "listUsers", false, (call) => {
        this.auth(call);
        const pattern = new RegExp(`^${call.request.pattern.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
        const users = [...this.users.keys()].filter((u) => call.request.pattern === "" || pattern.test(u));
        return create(ListUsersResponseSchema, {
          users: users.sort().map((username) => ({ username, online: false })),
        });
      }),
      sendMessage: this.unary(i, "sendMessage", true, (call) => create(SendMessageResponseSchema, {
        message: this.send(this.auth(call), call.request.to, call.request.text, call.request.clientMsgId),
      })),
      history: this.unary(i, "history", false, (call) => {
        const user = this.auth(call);
        const peer = call.request.peer;
        if (!this.users.has(peer)) throw fault(grpc.status.NOT_FOUND, "no such user");
        const messages = this.messages.filter((m) =>
          (m.from === user && m.to === peer) || (m.from === peer && m.to === user));
        return create(HistoryResponseSchema, { messages });
      }),
      markRead: this.unary(i, "markRead", true, (call) => {
        this.auth(call);
        return create(MarkReadResponseSchema);
      }),
      sendMessages: (call) => this.sendStream(i, call),
      subscribe: (call) => this.subscribe(i, call),
    };
  }

  private send(from: string, to: string, text: string, clientMsgId: string): Message {
    if (from === to) throw fault(grpc.status.FAILED_PRECONDITION, "you cannot send a message to yourself");
    if (!this.users.has(to)) throw fault(grpc.status.NOT_FOUND, "no such user");
    if (text.length === 0) throw fault(grpc.status.INVALID_ARGUMENT, "text must be 1-4096 characters");
    if (text === "slow down") throw fault(grpc.status.RESOURCE_EXHAUSTED, "queue full");
    const key = `${from}\u0000${clientMsgId}`;
    const first = clientMsgId ? this.sent.get(key) : undefined;
    if (first) return first;
    const seq = BigInt(this.messages.length + 1);
    const message = create(MessageSchema, {
      seq, id: `m${seq}`, from, to, text, sentAtMs: BigInt(Date.now()), clientMsgId,
    });
    this.messages.push(message);
    if (clientMsgId) this.sent.set(key, message);
    for (const s of this.streams) this.pump(s);
    return message;
  }

  private subscribe(i: number, call: grpc.ServerWritableStream<unknown, Event>): void {
    this.count(i, "subscribe");
    const node = this.nodes[i]!;
    const start = (): void => {
      if (!node.server) return;
      if (this.primary !== i) return void call.emit("error", this.notPrimary());
      let user: string;
      try {
        user = this.auth(call);
      } catch (err) {
        return void call.emit("error", err);
      }
      const afterSeq = Number((call.request as { afterSeq: bigint }).afterSeq);
      const mine = this.userMessages(user).filter((m) => Number(m.seq) <= afterSeq);
      const overlapFrom = mine[Math.max(mine.length - this.replayOverlap, 0)];
      const cursor = this.replayOverlap > 0 && overlapFrom ? Number(overlapFrom.seq) - 1 : afterSeq;
      const stream: Stream = { node: i, call, user, cursor };
      this.streams.add(stream);
      call.on("cancelled", () => this.streams.delete(stream));
      this.pump(stream);
    };
    if (node.silent) node.held.push(start);
    else start();
  }

  private pump(s: Stream): void {
    if (this.nodes[s.node]!.silent) return;
    for (const m of this.messages) {
      if (Number(m.seq) <= s.cursor || (m.from !== s.user && m.to !== s.user)) continue;
      s.call.write(create(EventSchema, { event: { case: "message", value: m } }));
      s.cursor = Number(m.seq);
    }
  }

  private beat(): void {
    for (const s of this.streams) {
      if (this.nodes[s.node]!.silent) continue;
      this.pump(s);
      s.call.write(create(EventSchema, {
        event: { case: "heartbeat", value: { epoch: BigInt(this.epoch), commitIndex: 0n } },
      }));
    }
  }

  private status(i: number): ClusterStatus {
    return create(ClusterStatusSchema, {
      epoch: BigInt(this.epoch),
      primaryId: this.primary ?? -1,
      reporterId: i,
      nodes: this.nodes.map((n, id) => ({
        id,
        address: this.addresses[id]!,
        role: !n.server ? "down" : id === this.primary ? "primary" : "backup",
        epoch: BigInt(this.epoch),
        inView: n.server !== undefined,
      })),
    });
  }

  private broadcastStatus(): void {
    if (this.quietWatch) return;
    this.nodes.forEach((node, i) => {
      if (node.silent) return;
      for (const w of node.watchers) w.write(this.status(i));
    });
  }

  private clusterImpl(i: number): ServiceImpl<typeof ClusterService.method> {
    return {
      recover: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: "not in the fake" }),
      getStatus: (_call, callback) => {
        this.count(i, "getStatus");
        const node = this.nodes[i]!;
        const answer = (): void => callback(null, this.status(i));
        if (node.silent) node.held.push(answer);
        else answer();
      },
      watchCluster: (call) => {
        this.count(i, "watchCluster");
        const node = this.nodes[i]!;
        node.watchers.add(call);
        call.on("cancelled", () => node.watchers.delete(call));
        if (!node.silent) call.write(this.status(i));
      },
    };
  }
}

/** A free port on 127.0.0.1 (bound by a throwaway server, then released). */
async function reservePort(): Promise<number> {
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p)));
  server.forceShutdown();
  return port;
}
