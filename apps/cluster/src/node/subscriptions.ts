// Subscribe streams and presence. Each stream has a cursor (the last seq it wrote); a pump
// copies committed events after the cursor from state, so backlog and live delivery are one
// path and no event is skipped or repeated. Streams end with UNAVAILABLE (plus
// `chat-primary`) when the node stops serving, and with UNAUTHENTICATED when the session ends.
// Streams are indexed by user, so a message commit pumps only its sender's and recipient's
// streams; a commit that changes sessions (login, logout, deletion) still re-checks every
// open stream's session.
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { EventSchema, type Event, type SubscribeRequest } from "@chat-tui/proto";
import { authenticate, eventsAfter, type Message } from "@chat-tui/chat-state";
import type { Pipeline } from "./pipeline.js";
import { notServingStatus, resourceExhausted } from "./errors.js";
import { toWireMessage } from "./codec.js";
import { streamBatchEvents, streamHeartbeatMs, streamsMax, streamsPerConnectionMax } from "../limits.js";

type Stream = grpc.ServerWritableStream<SubscribeRequest, Event>;

interface Subscriber {
  call: Stream;
  /** `call.getPeer()` at open: the client connection, for the per-connection limit. */
  connection: string;
  username: string;
  tokenHash: string;
  cursor: number;
  pumping: boolean;
  /** Waiting for the socket's drain event before writing more. */
  draining: boolean;
  closed: boolean;
}

export class Subscriptions {
  private readonly subscribers = new Set<Subscriber>();
  /** Open streams per user: who a commit wakes, and who is online. */
  private readonly byUser = new Map<string, Set<Subscriber>>();
  /** Open streams per client connection (`call.getPeer()`), for `streamsPerConnectionMax`. */
  private readonly perConnection = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly pipeline: Pipeline) {
    this.heartbeat = setInterval(() => this.beat(), streamHeartbeatMs);
    this.heartbeat.unref();
    this.unsubscribe = [
      pipeline.on("applied", (messages, sessionsChanged) => this.wake(messages, sessionsChanged)),
      pipeline.on("servingChanged", (serving) => {
        if (!serving) this.endAll();
      }),
    ];
  }

  isOnline(username: string): boolean {
    return this.byUser.has(username);
  }

  open(call: Stream, username: string, tokenHash: string, afterSeq: number): void {
    if (this.subscribers.size >= streamsMax) {
      call.emit("error", resourceExhausted("too many open streams on this node; retry later"));
      return;
    }
    // One HTTP/2 connection is one peer address *with* its port.
    const connection = call.getPeer();
    const onConnection = this.perConnection.get(connection) ?? 0;
    if (onConnection >= streamsPerConnectionMax) {
      call.emit("error", resourceExhausted(`more than ${streamsPerConnectionMax} open streams on one connection`));
      return;
    }
    this.perConnection.set(connection, onConnection + 1);
    const sub: Subscriber = {
      call, connection, username, tokenHash, cursor: afterSeq, pumping: false, draining: false, closed: false,
    };
    this.subscribers.add(sub);
    let mine = this.byUser.get(username);
    if (mine === undefined) this.byUser.set(username, (mine = new Set()));
    mine.add(sub);
    const done = (): void => this.drop(sub);
    call.on("cancelled", done);
    call.on("close", done);
    call.on("error", done);
    this.pump(sub);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe.forEach((off) => off());
    this.endAll();
  }

  private drop(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    this.subscribers.delete(sub);
    const left = (this.perConnection.get(sub.connection) ?? 1) - 1;
    if (left > 0) this.perConnection.set(sub.connection, left);
    else this.perConnection.delete(sub.connection);
    const mine = this.byUser.get(sub.username);
    mine?.delete(sub);
    if (mine?.size === 0) this.byUser.delete(sub.username);
  }

  /** Pumps the streams of the users a commit concerns, its messages' senders and recipients
   * (when sessions may have ended, every stream first re-checks its session: the event does
   * not say whose). */
  private wake(messages: readonly Message[], sessionsChanged: boolean): void {
    if (sessionsChanged) for (const sub of [...this.subscribers]) this.stillAuthenticated(sub);
    for (const message of messages) {
      this.pumpUser(message.from);
      this.pumpUser(message.to);
    }
  }

  private pumpUser(username: string): void {
    const mine = this.byUser.get(username);
    if (mine !== undefined) for (const sub of mine) this.pump(sub);
  }

  private stillAuthenticated(sub: Subscriber): boolean {
    const who = authenticate(this.pipeline.state, sub.tokenHash, this.pipeline.logTimeNow());
    if (!("kind" in who)) return true;
    sub.call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: who.message });
    this.drop(sub);
    return false;
  }

  /** Writes committed events after the cursor until caught up or the socket pushes back. */
  private pump(sub: Subscriber): void {
    if (sub.pumping || sub.draining || sub.closed) return;
    sub.pumping = true;
    try {
      for (;;) {
        const batch = eventsAfter(this.pipeline.state, sub.username, sub.cursor, streamBatchEvents);
        if (!Array.isArray(batch)) {
          // The account is gone (deleted): the stream ends like a revoked session.
          sub.call.emit("error", { code: grpc.status.UNAUTHENTICATED, details: batch.message });
          this.drop(sub);
          return;
        }
        if (batch.length === 0) return;
        let open = true;
        for (const message of batch) {
          open = sub.call.write(create(EventSchema, { event: { case: "message", value: toWireMessage(message) } }));
          sub.cursor = message.seq;
        }
        if (!open) {
          sub.draining = true;
          sub.call.once("drain", () => {
            sub.draining = false;
            this.pump(sub);
          });
          return;
        }
      }
    } finally {
      sub.pumping = false;
    }
  }

  private beat(): void {
    const event = create(EventSchema, {
      event: {
        case: "heartbeat",
        value: { epoch: BigInt(this.pipeline.epoch()), commitIndex: BigInt(this.pipeline.commitIndex()) },
      },
    });
    for (const sub of this.subscribers) sub.call.write(event);
  }

  private endAll(): void {
    const reason = this.pipeline.notServing();
    for (const sub of [...this.subscribers]) {
      sub.call.emit("error", reason
        ? notServingStatus(reason)
        : { code: grpc.status.UNAVAILABLE, details: "node is shutting down" });
      this.drop(sub);
    }
  }
}
