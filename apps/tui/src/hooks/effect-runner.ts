// Performs the effects the state machine asks for, against the ChatClient, and reports each
// outcome back as an action. It owns the only timers and the one events() loop of a login.
import type { ChatClient, Message, UserEntry } from "../client-port.js";
import { describeError, errorKind } from "../format/errors.js";
import type { AppAction } from "../state/app.js";
import { historyPageMessages } from "../state/conversations.js";
import type { Effect } from "../state/effects.js";
import { assertNever } from "../assert-never.js";

export const searchDebounceMs = 120;
export const usersRefreshMs = 5_000;
export const usersPerPageMax = 500;
/** The user list holds at most this many names; a filter narrows it. */
export const usersMax = 5_000;
export const eventsRetryMs = 1_000;

export interface RunnerHooks {
  onQuit(): void;
  onBell?(): void;
}

const retryable = new Set(["unavailable", "closed", "rate-limited", "internal"]);

export class EffectRunner {
  private events: AbortController | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private pattern = "";
  /** A user-list fetch is running; at most one runs at a time. */
  private searching = false;
  /** The pattern changed while one ran: fetch again as soon as it ends. */
  private searchAgain = false;
  private disposed = false;

  constructor(
    private readonly client: ChatClient,
    private readonly dispatch: (a: AppAction) => void,
    private readonly hooks: RunnerHooks
  ) {}

  perform = (effects: Effect[]): void => {
    for (const e of effects) {
      try {
        this.run(e);
      } catch (err) {
        // A client method that throws instead of rejecting must not stop the other effects.
        this.safe({
          type: "notice",
          notice: { text: `${e.kind}: ${describeError(err)}`, tone: "error" },
        });
      }
    }
  };

  private safe(a: AppAction): void {
    if (!this.disposed) this.dispatch(a);
  }

  private run(e: Effect): void {
    switch (e.kind) {
      case "login":
      case "logout":
      case "delete-account":
        this.account(e);
        return;
      case "start-events":
        this.startEvents();
        return;
      case "stop-events":
        this.stopEvents();
        return;
      case "search-users":
        this.pattern = e.pattern;
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => this.search("pattern"), searchDebounceMs);
        return;
      case "load-history":
        this.client.history(e.peer, { beforeSeq: e.beforeSeq, limit: historyPageMessages }).then(
          (messages) =>
            this.safe({ type: "history-loaded", peer: e.peer, beforeSeq: e.beforeSeq, messages }),
          (err: unknown) =>
            this.safe({ type: "history-failed", peer: e.peer, error: describeError(err) })
        );
        return;
      case "send":
        this.send(e);
        return;
      case "mark-read":
        this.client.markRead(e.peer, e.upToSeq).catch(() => undefined); // next view marks again
        return;
      case "bell":
        this.hooks.onBell?.();
        return;
      case "quit":
        this.hooks.onQuit();
        return;
      default:
        assertNever(e);
    }
  }

  /** Log in / register, log out, delete the account: each ends on a screen change. */
  private account(e: Extract<Effect, { kind: "login" | "logout" | "delete-account" }>): void {
    switch (e.kind) {
      case "login": {
        const call =
          e.mode === "register"
            ? this.client.register(e.username, e.password)
            : this.client.login(e.username, e.password);
        call.then(
          (session) => this.safe({ type: "login-ok", session }),
          (err: unknown) => this.safe({ type: "login-failed", error: describeError(err) })
        );
        return;
      }
      case "logout": {
        // Stop the stream first: once the token is revoked it would fail as "unauthenticated".
        this.stopEvents();
        const me = this.client.username;
        this.client.logout().then(
          () => this.safe({ type: "logged-out", notice: "logged out", username: me }),
          (err: unknown) => {
            this.startEvents(); // still logged in: resume live updates (duplicates merge by seq)
            this.safe({ type: "dialog-failed", error: `log out failed: ${describeError(err)}` });
          }
        );
        return;
      }
      case "delete-account":
        this.stopEvents();
        this.client.deleteAccount(e.confirmUsername).then(
          () =>
            this.safe({
              type: "logged-out",
              notice: `account ${e.confirmUsername} deleted`,
              username: undefined,
            }),
          (err: unknown) => {
            this.startEvents();
            this.safe({ type: "dialog-failed", error: describeError(err) });
          }
        );
        return;
    }
  }

  private send(e: Extract<Effect, { kind: "send" }>): void {
    this.client.send(e.to, e.text, { clientMsgId: e.clientMsgId }).then(
      (message) => this.safe({ type: "send-acked", clientMsgId: e.clientMsgId, message }),
      (err: unknown) => {
        this.safe({
          type: "send-failed",
          clientMsgId: e.clientMsgId,
          error: describeError(err),
          retryable: retryable.has(errorKind(err) ?? "internal"),
        });
        this.maybeExpired(err);
      }
    );
  }

  /** A call refused for an expired session sends the person back to the login screen. */
  private maybeExpired(err: unknown): void {
    if (errorKind(err) !== "unauthenticated") return;
    this.safe({
      type: "logged-out",
      notice: "session expired — log in again",
      username: this.client.username,
    });
  }

  /**
   * Fetches the users matching the current pattern, page by page, up to usersMax. Never two
   * at once (a slow fetch of up to usersMax / usersPerPageMax pages may outlast the refresh
   * period): a refresh tick while one runs is skipped, a new pattern is fetched right after it.
   */
  private search(reason: "pattern" | "refresh"): void {
    if (this.searching) {
      if (reason === "pattern") this.searchAgain = true;
      return;
    }
    this.searching = true;
    this.searchAgain = false;
    const pattern = this.pattern;
    void (async () => {
      const users: UserEntry[] = [];
      let pageToken = "";
      do {
        const page = await this.client.listUsers(pattern || undefined, {
          limit: usersPerPageMax,
          pageToken: pageToken || undefined,
        });
        users.push(...page.users);
        pageToken = page.nextPageToken;
      } while (pageToken !== "" && users.length < usersMax && pattern === this.pattern);
      if (pattern === this.pattern) this.safe({ type: "users-loaded", pattern, users });
    })()
      .catch((err: unknown) =>
        this.safe({
          type: "notice",
          notice: { text: `user list: ${describeError(err)}`, tone: "error" },
        })
      )
      .finally(() => {
        this.searching = false;
        if (this.searchAgain && !this.disposed) this.search("pattern");
      });
  }

  private startEvents(): void {
    this.stopEvents();
    const abort = new AbortController();
    this.events = abort;
    this.refreshTimer = setInterval(() => this.search("refresh"), usersRefreshMs);
    void this.eventLoop(abort, undefined);
  }

  /** One events() stream; received messages are batched into one action per tick. */
  private async eventLoop(abort: AbortController, afterSeq: number | undefined): Promise<void> {
    let batch: Message[] = [];
    let lastSeq = afterSeq;
    const flush = (): void => {
      const messages = batch;
      batch = [];
      if (messages.length > 0 && !abort.signal.aborted)
        this.safe({ type: "messages-received", messages });
    };
    try {
      const options =
        afterSeq === undefined ? { signal: abort.signal } : { afterSeq, signal: abort.signal };
      for await (const m of this.client.events(options)) {
        if (abort.signal.aborted) break;
        if (batch.length === 0) setImmediate(flush);
        batch.push(m);
        lastSeq = m.seq;
      }
    } catch (err) {
      flush();
      if (abort.signal.aborted || this.disposed) return;
      const kind = errorKind(err);
      if (kind === "unauthenticated") {
        this.safe({
          type: "logged-out",
          notice: "session expired — log in again",
          username: this.client.username,
        });
        return;
      }
      if (kind === "closed") return;
      this.safe({
        type: "notice",
        notice: { text: `live updates: ${describeError(err)} — retrying`, tone: "error" },
      });
      setTimeout(() => {
        if (!abort.signal.aborted) void this.eventLoop(abort, lastSeq);
      }, eventsRetryMs);
      return;
    }
    flush();
  }

  private stopEvents(): void {
    this.events?.abort();
    this.events = undefined;
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.stopEvents();
    clearTimeout(this.searchTimer);
  }
}
