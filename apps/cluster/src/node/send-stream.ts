// SendMessages: many sends pipelined on one stream. Each send becomes a proposal as soon as its
// request is decoded (so a stream's sends keep their order in the log and share group commits
// with everything else of that turn) and is answered by exactly one result with its `ref`;
// results that settle in one turn of the event loop go out as one response. A send that fails
// on its own is answered with `error` and the stream goes on; when the node stops being the
// primary the stream ends with UNAVAILABLE and `chat-primary`, and the client retries what was
// not answered (same request ids, R21).
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  isUndecodable,
  SendMessagesResponseSchema,
  SendResultSchema,
  type Message as WireMessage,
  type SendItem,
  type SendMessagesRequest,
  type SendMessagesResponse,
  type SendResult,
} from "@chat-tui/proto";
import type { Pipeline } from "./pipeline.js";
import { NotServingError, notServingStatus, toStatus, undecodableReason } from "./errors.js";
import type { Logger } from "../logger.js";
import { sendStreamPendingMax, sendsPerRequestMax } from "../limits.js";

type Stream = grpc.ServerDuplexStream<SendMessagesRequest, SendMessagesResponse>;

export interface SendStreamDeps {
  pipeline: Pipeline;
  log: Logger;
  /** One send: throws a ChatError (answered on the stream) or NotServingError (ends it). */
  send(item: SendItem): Promise<WireMessage>;
}

export function serveSendStream(call: Stream, { pipeline, log, send }: SendStreamDeps): void {
  let pending = 0;
  let paused = false;
  let inputEnded = false;
  let finished = false;
  let results: SendResult[] = [];

  const flush = (): void => {
    if (finished || results.length === 0) return;
    call.write(create(SendMessagesResponseSchema, { results }));
    results = [];
  };
  const finish = (status?: Partial<grpc.StatusObject>): void => {
    if (finished) return;
    flush(); // what settled is answered, even when the stream ends with an error
    finished = true;
    offServing();
    if (status) call.emit("error", status);
    else call.end();
  };
  const offServing = pipeline.on("servingChanged", (serving) => {
    if (!serving) finish(notServingStatus(pipeline.notServing() ?? new NotServingError("node is shutting down", undefined)));
  });

  const settled = (result: SendResult | undefined): void => {
    pending -= 1;
    if (finished) return;
    if (result) {
      if (results.length === 0) setImmediate(flush);
      results.push(result);
    }
    if (paused && pending <= sendStreamPendingMax / 2) {
      paused = false;
      call.resume();
    }
    if (inputEnded && pending === 0) finish();
  };

  const start = (item: SendItem): void => {
    const ref = item.ref;
    pending += 1;
    // `send` may throw before its first await (bad request, logged out): same path.
    Promise.resolve().then(() => send(item)).then(
      (message) => settled(create(SendResultSchema, { ref, message })),
      (err: unknown) => {
        if (err instanceof NotServingError) {
          finish(notServingStatus(err));
          return settled(undefined);
        }
        const status = toStatus(err, (e) => log.error({ err: e }, "send on a stream failed"));
        settled(create(SendResultSchema, {
          ref, error: { code: status.code ?? grpc.status.INTERNAL, message: status.details ?? "" },
        }));
      },
    );
  };

  call.on("data", (request: SendMessagesRequest) => {
    if (finished) return;
    if (isUndecodable(request)) {
      finish({ code: grpc.status.INVALID_ARGUMENT, details: undecodableReason });
      return;
    }
    const count = request.sends.length;
    if (count === 0 || count > sendsPerRequestMax) {
      finish({ code: grpc.status.INVALID_ARGUMENT, details: `a request carries 1-${sendsPerRequestMax} sends, not ${count}` });
      return;
    }
    for (const item of request.sends) start(item);
    if (pending >= sendStreamPendingMax && !paused) {
      // Flow control: stop reading until half the sends in flight are answered.
      paused = true;
      call.pause();
    }
  });
  call.on("end", () => {
    inputEnded = true;
    if (pending === 0) finish();
  });
  const gone = (): void => {
    finished = true;
    offServing();
  };
  call.on("cancelled", gone);
  call.on("error", gone);
}
