// The fast path of `send()`: every send of one session pipelined on one SendMessages stream to
// the primary, so a busy sender pays one HTTP/2 stream, not one call, per message, and the
// sends of one event-loop turn travel in one request. Each send
// keeps its request id and client_msg_id across retries (R21). When the stream breaks (the
// primary died or stepped down), goes silent past the attempt timeout, or the cluster names a
// newer primary, the sends not yet answered go again, in their order, on a new stream to the
// (new) primary — the same rebinding as a unary call (R22), with the same backoff. Each send
// has its own overall deadline. A node without SendMessages (UNIMPLEMENTED) turns the pipe off
// and its sends go back to unary calls.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  SendItemSchema,
  SendMessagesRequestSchema,
  type Message as WireMessage,
  type SendItem,
  type SendMessageRequest,
  type SendMessagesRequest,
  type SendMessagesResponse,
  type SendResult,
} from "@chat-tui/proto";
import { backoffMs } from "./backoff.js";
import { backoffUnlessRebound, type CallTiming } from "./call.js";
import { epochOf, metadataKeys } from "./codec.js";
import {
  ChatError,
  closedError,
  describeError,
  isRetryableStatus,
  toChatError,
  unavailableError,
} from "./errors.js";
import { sendPipeSweepMs, sendRequestBytesMax, sendsPerRequestMax } from "./limits.js";
import type { Router } from "./router.js";

interface PendingSend {
  item: SendItem;
  deadlineAt: number;
  resolve(message: WireMessage): void;
  reject(error: Error): void;
}

interface OpenStream {
  call: grpc.ClientDuplexStream<SendMessagesRequest, SendMessagesResponse>;
  address: string;
  epoch: number | undefined;
  offlineReason: string | undefined;
  /** Last time this stream was opened, answered anything, or was given a send while idle. */
  progressAt: number;
  /** Set when we cancelled it on purpose (abandoned for a newer primary, or stalled). */
  cancelledBy?: "newer-primary" | "stalled" | "close";
  off(): void;
}

/** Thrown by `send` when the node has no SendMessages: use the unary call instead. */
export class SendPipeUnsupported extends Error {}

export class SendPipe {
  private readonly pending = new Map<bigint, PendingSend>();
  /** Sends of this turn not yet written (one request at the end of the turn). */
  private outbox: SendItem[] = [];
  private nextRef = 1n;
  private stream: OpenStream | undefined;
  private opening = false;
  /** A backoff is running: new sends wait for it instead of opening a stream at once. */
  private retrying = false;
  private failuresInRow = 0;
  private lastError: unknown;
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;
  private unsupported = false;

  constructor(
    private readonly router: Router,
    private readonly timing: CallTiming,
    private readonly token: string,
  ) {}

  get supported(): boolean {
    return !this.unsupported;
  }

  send(send: SendMessageRequest): Promise<WireMessage> {
    if (this.closed || this.router.signal.aborted) return Promise.reject(closedError());
    if (this.unsupported) return Promise.reject(new SendPipeUnsupported());
    const ref = this.nextRef++;
    const item = create(SendItemSchema, { ref, send, requestId: randomUUID() });
    return new Promise<WireMessage>((resolve, reject) => {
      this.pending.set(ref, { item, deadlineAt: Date.now() + this.timing.deadlineMs, resolve, reject });
      this.sweep ??= setInterval(() => this.sweepPending(), sendPipeSweepMs);
      // An idle stream owes nothing: its silence counts from the first send it is given.
      if (this.stream && this.pending.size === 1) this.stream.progressAt = Date.now();
      if (this.stream) {
        if (this.outbox.length === 0) setImmediate(() => this.writeOutbox());
        this.outbox.push(item);
      } else if (!this.retrying) void this.openStream();
    });
  }

  /** Ends the stream; sends not yet answered fail with `error` (default: client closed). */
  close(error: Error = closedError()): void {
    if (this.closed) return;
    this.closed = true;
    this.cancel("close");
    this.failAll(() => error);
  }

  private async openStream(): Promise<void> {
    if (this.opening || this.stream || this.closed) return;
    this.opening = true;
    try {
      let latest = Date.now();
      for (const p of this.pending.values()) latest = Math.max(latest, p.deadlineAt);
      const target = await this.router.resolve(latest);
      if (this.closed || this.router.signal.aborted || this.pending.size === 0) return;
      this.start(target.address, target.offlineReason);
    } finally {
      this.opening = false;
    }
  }

  /** `offlineReason`: no node answered discovery (shown while backing off after a failure). */
  private start(address: string, offlineReason: string | undefined): void {
    let stubs;
    try {
      stubs = this.router.pool.get(address);
    } catch (err) {
      this.failAll(() => new ChatError("internal", describeError(err), { cause: err }));
      return;
    }
    const metadata = new grpc.Metadata();
    metadata.set(metadataKeys.authorization, `Bearer ${this.token}`);
    const call = stubs.chat.sendMessages(metadata);
    const epochAtOpen = this.router.view.epoch;
    const offChange = this.router.view.onChange(() => {
      const primary = this.router.view.primary();
      if (primary !== undefined && primary !== address && this.router.view.epoch > epochAtOpen) {
        this.cancel("newer-primary");
      }
    });
    const stream: OpenStream = {
      call, address, epoch: undefined, progressAt: Date.now(), offlineReason, off: offChange,
    };
    this.stream = stream;
    call.on("metadata", (md: grpc.Metadata) => {
      stream.epoch = epochOf(md);
    });
    call.on("data", (response: SendMessagesResponse) => {
      for (const result of response.results) this.onAnswer(stream, result);
    });
    call.on("error", () => undefined);
    call.on("status", (status: grpc.StatusObject) => this.onEnd(stream, status));
    this.outbox = [];
    write(call, [...this.pending.values()].map((p) => p.item));
  }

  private writeOutbox(): void {
    const items = this.outbox;
    this.outbox = [];
    // Without a stream, the items are still pending: the next stream writes them all.
    if (this.stream && items.length > 0) write(this.stream.call, items);
  }

  private onAnswer(stream: OpenStream, response: SendResult): void {
    stream.progressAt = Date.now();
    const send = this.pending.get(response.ref);
    if (!send) return;
    if (response.message) {
      if (!this.router.view.noteSuccess(stream.address, stream.epoch)) {
        // An answer from a deposed primary's epoch: ask the current one (same request id).
        this.lastError = new Error(`stale answer from ${stream.address} (epoch ${stream.epoch})`);
        return this.cancel("newer-primary");
      }
      this.failuresInRow = 0;
      this.pending.delete(response.ref);
      send.resolve(response.message);
      return;
    }
    this.pending.delete(response.ref);
    const { code, message } = response.error ?? { code: grpc.status.INTERNAL, message: "empty answer" };
    send.reject(toChatError(serviceError(code, message), { method: "sendMessage", subject: send.item.send?.to }));
  }

  private onEnd(stream: OpenStream, status: grpc.StatusObject): void {
    stream.off();
    if (this.stream === stream) this.stream = undefined;
    if (this.closed || this.pending.size === 0) return;
    const err = serviceError(status.code, status.details, status.metadata);
    if (status.code === grpc.status.UNIMPLEMENTED) {
      this.unsupported = true;
      return this.failAll(() => new SendPipeUnsupported());
    }
    const ours = stream.cancelledBy;
    // OK with sends unanswered: the node ended the stream early, as good as UNAVAILABLE.
    const retryable = isRetryableStatus(status.code) || status.code === grpc.status.OK;
    if (!retryable && ours === undefined) {
      return this.failAll((send) => toChatError(err, { method: "sendMessage", subject: send.item.send?.to }));
    }
    this.lastError = ours === "stalled" ? new Error(`${stream.address} did not answer`) : err;
    const before = this.router.view.primary();
    if (ours === "stalled") this.router.view.noteFailure(stream.address);
    else this.router.noteCallFailure(stream.address, err, ours !== undefined);
    const redirected = this.router.view.primary() !== undefined && this.router.view.primary() !== before;
    if (ours === "newer-primary" || (redirected && this.failuresInRow === 0)) {
      this.failuresInRow += 1;
      return void this.openStream();
    }
    this.retryLater(stream.address, stream.offlineReason);
  }

  /** Backs off (cut short when a new primary is named), then opens a new stream. */
  private retryLater(failed: string, offlineReason?: string): void {
    const problem = this.router.transportProblem(true);
    if (problem) return this.failAll(() => unavailableError(this.timing.deadlineMs, this.lastError, problem));
    const waitMs = backoffMs(this.failuresInRow++);
    if (offlineReason !== undefined) this.router.view.noteOffline(waitMs, offlineReason);
    this.retrying = true;
    void backoffUnlessRebound(this.router, waitMs, failed).then(() => {
      this.retrying = false;
      return this.openStream();
    });
  }

  private cancel(why: NonNullable<OpenStream["cancelledBy"]>): void {
    const stream = this.stream;
    if (!stream || stream.cancelledBy) return;
    stream.cancelledBy = why;
    stream.call.cancel();
  }

  /** Expires sends past their deadline, and cuts a stream that has gone silent. */
  private sweepPending(): void {
    const now = Date.now();
    for (const [ref, send] of this.pending) {
      if (now < send.deadlineAt) continue;
      this.pending.delete(ref);
      send.reject(unavailableError(this.timing.deadlineMs, this.lastError, this.router.transportProblem()));
    }
    if (this.pending.size === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
      return;
    }
    if (this.stream && now - this.stream.progressAt > this.timing.attemptTimeoutMs) this.cancel("stalled");
  }

  private failAll(errorFor: (send: PendingSend) => Error): void {
    const sends = [...this.pending.values()];
    this.pending.clear();
    clearInterval(this.sweep);
    this.sweep = undefined;
    for (const send of sends) send.reject(errorFor(send));
  }
}

/** Writes `items` in requests of at most `sendsPerRequestMax` sends and about `sendRequestBytesMax`. */
function write(call: grpc.ClientDuplexStream<SendMessagesRequest, SendMessagesResponse>, items: SendItem[]): void {
  let batch: SendItem[] = [];
  let bytes = 0;
  for (const item of items) {
    // An upper bound: 3 bytes a UTF-16 unit, plus ids and framing.
    const size = 3 * ((item.send?.text.length ?? 0) + (item.send?.to.length ?? 0) + (item.send?.clientMsgId.length ?? 0)) + 64;
    if (batch.length > 0 && (batch.length >= sendsPerRequestMax || bytes + size > sendRequestBytesMax)) {
      call.write(create(SendMessagesRequestSchema, { sends: batch }));
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) call.write(create(SendMessagesRequestSchema, { sends: batch }));
}

/** A grpc-js-shaped error, so one table (errors.ts) maps stream and unary failures alike. */
function serviceError(code: number, details: string, metadata = new grpc.Metadata()): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}
