// `events()`: the caller's messages as an async iterator, exactly once and in seq order,
// across failovers (R23). The cursor is the last seq handed to the consumer's queue; every
// (re)subscription asks the current primary for `after_seq = cursor`, and anything at or
// below the cursor is dropped. A stream that errors, ends, is silent for 1 s (no heartbeat:
// a SIGSTOPped primary keeps its sockets open, CE17) or speaks for a stale epoch is replaced.
// The queue is bounded: when full, the gRPC stream is paused (HTTP/2 flow control).
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { SubscribeRequestSchema, type Event } from "@chat-tui/proto";
import { backoffMs, sleep } from "./backoff.js";
import { toMessage, toSafeNumber, type Message } from "./codec.js";
import { ChatError, isRetryableStatus, isServiceError, toChatError } from "./errors.js";
import { eventsBufferMax, eventsWaitersMax, streamSilenceMs } from "./limits.js";
import type { Router } from "./router.js";

interface Waiter {
  resolve: (result: IteratorResult<Message>) => void;
  reject: (err: unknown) => void;
}

interface StreamOutcome {
  /** The error that ended the stream; undefined when it ended cleanly or we cut it. */
  error: unknown;
  /** Why we cut it ourselves (silence, stale epoch), if we did. */
  cut: string | undefined;
  delivered: boolean;
}

export interface EventStreamOptions {
  afterSeq: number;
  attemptTimeoutMs: number;
  /** The metadata (authorization) for a new subscription; undefined when logged out. */
  auth: () => grpc.Metadata | undefined;
  signal?: AbortSignal | undefined;
}

export class EventStream implements AsyncIterableIterator<Message> {
  private cursor: number;
  private readonly queue: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private finished = false;
  private failure: unknown = undefined;
  private call: grpc.ClientReadableStream<Event> | undefined;
  private paused = false;
  private readonly stopping = new AbortController();
  private silenceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly router: Router,
    private readonly options: EventStreamOptions,
  ) {
    this.cursor = options.afterSeq;
    for (const signal of [router.signal, options.signal]) {
      if (signal?.aborted) void this.return();
      signal?.addEventListener("abort", this.stop, { once: true });
    }
    if (!this.finished) void this.run();
  }

  private readonly stop = (): void => void this.return();

  private detach(): void {
    this.router.signal.removeEventListener("abort", this.stop);
    this.options.signal?.removeEventListener("abort", this.stop);
  }

  /** The last seq handed out (or queued); a new `events({afterSeq})` can resume from it. */
  get lastSeq(): number {
    return this.cursor;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }

  next(): Promise<IteratorResult<Message>> {
    const message = this.queue.shift();
    if (message !== undefined) {
      if (this.paused && this.queue.length <= eventsBufferMax / 2) this.resume();
      return Promise.resolve({ value: message, done: false });
    }
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    if (this.waiters.length >= eventsWaitersMax) {
      return Promise.reject(new ChatError("invalid-argument", "too many concurrent next() calls"));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<Message>> {
    if (!this.finished) {
      this.finished = true;
      this.stopping.abort();
      this.detach();
      this.call?.cancel();
      this.queue.length = 0;
      for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<Message>> {
    void this.return();
    return Promise.reject(err);
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.stopping.abort();
    this.detach();
    this.call?.cancel();
    const [first, ...rest] = this.waiters.splice(0);
    if (first) first.reject(err);
    else this.failure = err;
    for (const waiter of rest) waiter.resolve({ value: undefined, done: true });
  }

  private deliver(message: Message): void {
    if (this.finished) return;
    if (message.seq <= this.cursor) return; // already delivered (a replay after resubscribing)
    this.cursor = message.seq;
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve({ value: message, done: false });
    this.queue.push(message);
    if (this.queue.length >= eventsBufferMax && !this.paused) {
      this.paused = true;
      this.clearSilence();
      this.call?.pause();
    }
  }

  private resume(): void {
    this.paused = false;
    this.call?.resume();
    this.armSilence();
  }

  private async run(): Promise<void> {
    let failuresInRow = 0;
    while (!this.finished) {
      const metadata = this.options.auth();
      if (metadata === undefined) {
        return this.fail(new ChatError("unauthenticated", "not logged in; log in first"));
      }
      const target = await this.router.resolve(Date.now() + this.options.attemptTimeoutMs);
      if (this.finished) return;
      const outcome = await this.subscribeOnce(target.address, metadata);
      if (this.finished) return;
      const err = outcome.error;
      if (err !== undefined && !this.isRetryable(err)) {
        return this.fail(isServiceError(err) ? toChatError(err, { method: "subscribe" }) : err);
      }
      if (outcome.cut !== undefined) this.router.view.noteFailure(target.address);
      else if (err !== undefined) this.router.noteCallFailure(target.address, err);
      failuresInRow = outcome.delivered ? 0 : failuresInRow + 1;
      const waitMs = backoffMs(failuresInRow);
      if (target.offlineReason !== undefined) {
        this.router.view.noteOffline(waitMs, target.offlineReason);
      }
      await sleep(waitMs, this.stopping.signal);
    }
  }

  private isRetryable(err: unknown): boolean {
    if (!isServiceError(err)) return false;
    // A node with too many streams asks us to come back later; that is not the caller's fault.
    return isRetryableStatus(err.code) || err.code === grpc.status.RESOURCE_EXHAUSTED;
  }

  private subscribeOnce(address: string, metadata: grpc.Metadata): Promise<StreamOutcome> {
    return new Promise((resolve) => {
      const request = create(SubscribeRequestSchema, { afterSeq: BigInt(this.cursor) });
      const call = this.router.pool.get(address).chat.subscribe(request, metadata);
      this.call = call;
      let error: unknown = undefined;
      let cut: string | undefined;
      let delivered = false;
      const cutWith = (reason: string): void => {
        cut ??= reason;
        call.cancel();
      };
      this.onSilence = () => cutWith(`no heartbeat from ${address} for ${streamSilenceMs} ms`);
      this.armSilence();
      call.on("data", (event: Event) => {
        this.armSilence();
        try {
          if (this.onEvent(address, event)) delivered = true;
          else cutWith(`stale epoch from ${address}`);
        } catch (err) {
          error = err;
          call.cancel();
        }
      });
      call.on("error", (err: grpc.ServiceError) => {
        if (err.code !== grpc.status.CANCELLED || cut === undefined) error ??= err;
      });
      call.on("status", () => {
        this.clearSilence();
        if (this.call === call) this.call = undefined;
        resolve({ error: cut === undefined ? error : undefined, cut, delivered });
      });
      if (this.paused) call.pause();
    });
  }

  /** Handles one event; false when the stream speaks for an epoch older than one seen. */
  private onEvent(address: string, event: Event): boolean {
    switch (event.event.case) {
      case "message":
        this.deliver(toMessage(event.event.value));
        return true;
      case "heartbeat":
        const epoch = toSafeNumber(event.event.value.epoch, "epoch");
        return this.router.view.noteSuccess(address, epoch);
      case undefined:
        return true;
    }
  }

  private onSilence: () => void = () => {};

  private armSilence(): void {
    this.clearSilence();
    if (this.paused || this.finished) return;
    this.silenceTimer = setTimeout(() => this.onSilence(), streamSilenceMs);
  }

  private clearSilence(): void {
    if (this.silenceTimer !== undefined) clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }
}
