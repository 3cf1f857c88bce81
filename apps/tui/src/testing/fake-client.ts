// An in-memory chat "cluster" and ChatClient for tests, the E2E run and demos. It follows the
// SDK contract (client-port.ts): register logs in, events() replays every message to/from the
// user after `afterSeq` (default 0) then goes live, send is idempotent per clientMsgId.
// Tests steer it: cluster state, failures of the next call, held sends, peers that reply.
import type {
  ChatClient,
  ChatError,
  ChatErrorKind,
  ClusterState,
  ConnectionState,
  Message,
  Session,
  UserEntry,
} from "../client-port.js";
import { errorText } from "../format/errors.js";

export class FakeChatError extends Error implements ChatError {
  /** Without a message, the one a person would read for the kind (as the SDK's are). */
  constructor(readonly kind: ChatErrorKind, message: string = errorText[kind]) {
    super(message);
    this.name = "ChatError";
  }
}

type Method =
  | "register"
  | "login"
  | "logout"
  | "deleteAccount"
  | "listUsers"
  | "send"
  | "history"
  | "markRead";

function matches(pattern: string, name: string): boolean {
  if (pattern === "") return true;
  const parts = pattern
    .toLowerCase()
    .split("*")
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(name);
}

export function healthyCluster(primaryId = 1, epoch = 1): ClusterState {
  const nodes = [1, 2, 3].map((id) => ({
    id,
    address: `127.0.0.1:5005${id}`,
    role: id === primaryId ? ("primary" as const) : ("backup" as const),
    epoch,
    commitIndex: 0,
    lastIndex: 0,
    inView: true,
    loading: false,
    reachable: true,
  }));
  return {
    epoch,
    primaryId,
    nodes,
    connection: { kind: "connected", nodeId: primaryId, address: `127.0.0.1:5005${primaryId}` },
  };
}

export interface FakeChatOptions {
  now?: () => number;
  cluster?: ClusterState;
  /** A reply `peer` sends back to each message it receives (after `replyDelayMs`). */
  replies?: Record<string, (text: string) => string>;
  replyDelayMs?: number;
}

export class FakeChat {
  readonly users = new Map<string, { password: string; sessions: number }>();
  readonly messages: Message[] = [];
  readonly reads = new Map<string, number>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  private failures: { method: Method; error: FakeChatError }[] = [];
  private held: (() => void)[] | undefined;
  private liveListeners = new Set<(m: Message) => void>();
  private clusterListeners = new Set<(s: ClusterState) => void>();
  private state: ClusterState;
  private nextSeq = 1;
  readonly now: () => number;

  constructor(private readonly options: FakeChatOptions = {}) {
    this.now = options.now ?? Date.now;
    this.state = options.cluster ?? healthyCluster();
  }

  addUser(username: string, password = "password1"): this {
    this.users.set(username, { password, sessions: 0 });
    return this;
  }

  /** A message committed by someone else (a peer typing, history for a test). */
  post(
    from: string,
    to: string,
    text: string,
    sentAtMs = this.now(),
    clientMsgId?: string
  ): Message {
    const seq = this.nextSeq++;
    const m: Message = {
      seq,
      id: `msg-${seq}`,
      from,
      to,
      text,
      sentAtMs,
      clientMsgId: clientMsgId ?? `fake-${seq}`,
    };
    this.messages.push(m);
    for (const l of this.liveListeners) l(m);
    return m;
  }

  unreadFor(user: string): { peer: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const m of this.messages) {
      if (m.to !== user || m.seq <= (this.reads.get(`${user}|${m.from}`) ?? 0)) continue;
      counts.set(m.from, (counts.get(m.from) ?? 0) + 1);
    }
    return [...counts]
      .map(([peer, count]) => ({ peer, count }))
      .sort((a, b) => a.peer.localeCompare(b.peer));
  }

  /** The next call of `method` fails with this error kind. */
  failNext(method: Method, kind: ChatErrorKind, message?: string): void {
    this.failures.push({ method, error: new FakeChatError(kind, message) });
  }

  /** Sends wait (pending) until `releaseSends()`. */
  holdSends(): void {
    this.held ??= [];
  }

  releaseSends(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  cluster(): ClusterState {
    return this.state;
  }

  setCluster(state: ClusterState): void {
    this.state = state;
    for (const l of this.clusterListeners) l(state);
  }

  setConnection(connection: ConnectionState): void {
    this.setCluster({ ...this.state, connection });
  }

  onChange(listener: (s: ClusterState) => void): () => void {
    this.clusterListeners.add(listener);
    return () => this.clusterListeners.delete(listener);
  }

  onMessage(listener: (m: Message) => void): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  /** @internal used by FakeClient: records a call and throws a queued failure. */
  enter(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f?.error;
    }
  }

  /** @internal */
  async gate(): Promise<void> {
    if (this.held) await new Promise<void>((go) => this.held?.push(go));
  }

  /** @internal a reply from a scripted peer. */
  maybeReply(m: Message): void {
    const reply = this.options.replies?.[m.to];
    if (!reply) return;
    setTimeout(() => this.post(m.to, m.from, reply(m.text)), this.options.replyDelayMs ?? 30);
  }

  connect(): FakeClient {
    return new FakeClient(this);
  }
}

export class FakeClient implements ChatClient {
  private me: string | undefined;
  private closed = false;

  constructor(readonly chat: FakeChat) {}

  get username(): string | undefined {
    return this.me;
  }

  private async call<T>(method: Method, args: unknown[], body: () => T): Promise<T> {
    await Promise.resolve();
    if (this.closed) throw new FakeChatError("closed");
    this.chat.enter(method, args);
    if (method !== "register" && method !== "login" && this.me === undefined) {
      throw new FakeChatError("unauthenticated");
    }
    return body();
  }

  private session(username: string): Session {
    const user = this.chat.users.get(username);
    if (user) user.sessions += 1;
    this.me = username;
    return { username, unread: this.chat.unreadFor(username) };
  }

  register(username: string, password: string): Promise<Session> {
    return this.call("register", [username], () => {
      if (!/^[a-z0-9_.-]{1,32}$/.test(username))
        throw new FakeChatError("invalid-argument", "bad username");
      if (password.length < 8) throw new FakeChatError("invalid-argument", "password too short");
      if (this.chat.users.has(username)) throw new FakeChatError("username-taken");
      this.chat.addUser(username, password);
      return this.session(username);
    });
  }

  login(username: string, password: string): Promise<Session> {
    return this.call("login", [username], () => {
      const user = this.chat.users.get(username);
      if (!user) throw new FakeChatError("unknown-user");
      if (user.password !== password) throw new FakeChatError("wrong-password");
      return this.session(username);
    });
  }

  logout(): Promise<void> {
    return this.call("logout", [], () => {
      const user = this.chat.users.get(this.me ?? "");
      if (user) user.sessions = Math.max(0, user.sessions - 1);
      this.me = undefined;
    });
  }

  deleteAccount(confirmUsername: string): Promise<void> {
    return this.call("deleteAccount", [confirmUsername], () => {
      if (confirmUsername !== this.me)
        throw new FakeChatError("invalid-argument", "confirmation does not match");
      this.chat.users.delete(confirmUsername);
      this.me = undefined;
    });
  }

  listUsers(pattern = "", page: { limit?: number; pageToken?: string } = {}) {
    return this.call("listUsers", [pattern, page], () => {
      const start = Number(page.pageToken || "0");
      const limit = page.limit ?? 100;
      const all: UserEntry[] = [...this.chat.users]
        .filter(([name]) => matches(pattern, name))
        .map(([username, u]) => ({ username, online: u.sessions > 0 }))
        .sort((a, b) => a.username.localeCompare(b.username));
      const users = all.slice(start, start + limit);
      return { users, nextPageToken: start + limit < all.length ? String(start + limit) : "" };
    });
  }

  async send(to: string, text: string, options: { clientMsgId?: string } = {}): Promise<Message> {
    const clientMsgId = options.clientMsgId ?? `c-${Math.random()}`;
    await this.call("send", [to, text, clientMsgId], () => undefined);
    await this.chat.gate();
    const me = this.me ?? "";
    if (to === me) throw new FakeChatError("self-send");
    if (!this.chat.users.has(to)) throw new FakeChatError("unknown-user");
    const dup = this.chat.messages.find((m) => m.from === me && m.clientMsgId === clientMsgId);
    if (dup) return dup;
    const m = this.chat.post(me, to, text, this.chat.now(), clientMsgId);
    this.chat.maybeReply(m);
    return m;
  }

  history(peer: string, options: { beforeSeq?: number; limit?: number } = {}): Promise<Message[]> {
    return this.call("history", [peer, options], () => {
      const me = this.me ?? "";
      const before = options.beforeSeq || Number.POSITIVE_INFINITY;
      const mine = this.chat.messages.filter(
        (m) =>
          m.seq < before && ((m.from === me && m.to === peer) || (m.from === peer && m.to === me))
      );
      return mine.slice(-(options.limit ?? 100));
    });
  }

  markRead(peer: string, upToSeq: number): Promise<void> {
    return this.call("markRead", [peer, upToSeq], () => {
      const key = `${this.me}|${peer}`;
      this.chat.reads.set(key, Math.max(this.chat.reads.get(key) ?? 0, upToSeq));
    });
  }

  events(
    options: { afterSeq?: number; signal?: AbortSignal } = {}
  ): AsyncIterableIterator<Message> {
    const me = this.me;
    const mine = (m: Message): boolean => m.from === me || m.to === me;
    const queue = this.chat.messages.filter((m) => mine(m) && m.seq > (options.afterSeq ?? 0));
    let read = 0; // an index, not shift(): a replay may be 100,000 messages long
    let wake: (() => void) | undefined;
    const off = this.chat.onMessage((m) => {
      if (!mine(m)) return;
      queue.push(m);
      wake?.();
    });
    options.signal?.addEventListener("abort", () => wake?.());
    const client = this;
    async function* run(): AsyncGenerator<Message> {
      try {
        for (;;) {
          if (options.signal?.aborted || client.closed) return;
          const next = queue[read];
          if (next) {
            read += 1;
            yield next;
            continue;
          }
          await new Promise<void>((go) => (wake = go));
          wake = undefined;
        }
      } finally {
        off();
      }
    }
    return run();
  }

  cluster(): ClusterState {
    return this.chat.cluster();
  }

  onChange(listener: (s: ClusterState) => void): () => void {
    return this.chat.onChange(listener);
  }

  close(): void {
    this.closed = true;
  }
}

/** The world CHAT_TUI_FAKE=1 starts with: a few users, some history, a bob who answers. */
export function demoChat(now: () => number = Date.now): FakeChat {
  const chat = new FakeChat({ now, replies: { bob: (t) => `bob heard: ${t}` }, replyDelayMs: 200 });
  for (const name of ["anna", "albert", "bob", "carol", "dave"]) chat.addUser(name);
  const t = now();
  chat.post("anna", "bob", "(not for you)", t - 3 * 86_400_000);
  return chat;
}
