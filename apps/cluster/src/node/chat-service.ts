// ChatService over a Pipeline: authenticate, validate, read committed state or propose a
// command, map the outcome to the wire. Reads and writes need this node to be serving.
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  ChatService,
  DeleteAccountResponseSchema,
  isUndecodable,
  HistoryResponseSchema,
  ListUsersResponseSchema,
  LogoutResponseSchema,
  MarkReadResponseSchema,
  SendMessageResponseSchema,
  type Message as WireMessage,
  type SendMessageRequest,
  type ServiceImpl,
} from "@chat-tui/proto";
import {
  authenticate,
  chatError,
  findAccount,
  history,
  isKnownRequest,
  listUsers,
  type ChatError,
  type Command,
  type CommandResults,
} from "@chat-tui/chat-state";
import type { Pipeline } from "./pipeline.js";
import { toStatus, undecodableReason } from "./errors.js";
import { bearerToken, hashPassword, hashToken, mintToken, verifyPassword } from "./credentials.js";
import { safeNumber, toAuthResponse, toWireMessage } from "./codec.js";
import { checked } from "./validated.js";
import type { LimitOverrides } from "../config.js";
import type { Subscriptions } from "./subscriptions.js";
import { serveSendStream } from "./send-stream.js";
import { LoginThrottle, peerHost, SendRateLimiter, type LoginKeys } from "./throttles.js";
import type { Logger } from "../logger.js";

type Call =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

export interface ChatServiceDeps {
  pipeline: Pipeline;
  subscriptions: Subscriptions;
  log: Logger;
  /** cluster.json's overrides of limits.ts. */
  limits?: LimitOverrides | undefined;
}

/** How long a call waits at a primary whose epoch barrier has not committed yet. */
const startingEpochWaitMsMax = 500;

/** Resolves once `pipeline` is no longer a starting primary, or after `timeoutMs`. */
function untilServing(pipeline: Pipeline, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!pipeline.notServing()?.starting) done();
    };
    const offServing = pipeline.on("servingChanged", check);
    const offCluster = pipeline.on("clusterChanged", check);
    const timer = setTimeout(() => done(), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      offServing();
      offCluster();
      resolve();
    };
  });
}

function fail(kind: ChatError["kind"], message: string): never {
  throw chatError(kind, message);
}

export function chatService({ pipeline, subscriptions, log, limits }: ChatServiceDeps): ServiceImpl<
  typeof ChatService.method
> {
  const servingNow = (): void => {
    const reason = pipeline.notServing();
    if (reason) throw reason;
  };
  /** A call that reaches a new primary before its barrier committed waits for it (a few ms)
   *  instead of failing: the client would only back off and come back (failover gap). */
  const serving = async (): Promise<void> => {
    if (pipeline.notServing()?.starting) await untilServing(pipeline, startingEpochWaitMsMax);
    servingNow();
  };
  const logins = new LoginThrottle();
  const sends = new SendRateLimiter(limits?.sendsPerUserPerSec, limits?.sendBurstPerUser);

  /** Refuses a login inside its lock-out before the password is even hashed. */
  const throttled = (keys: LoginKeys): void => {
    const waitMs = logins.waitMs(keys, Date.now());
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      fail("resource-exhausted", `too many failed logins for "${keys.username}" or from this address; `
        + `try again in ${seconds} s`);
    }
  };

  const epochMetadata = (): grpc.Metadata => {
    const md = new grpc.Metadata();
    md.set("chat-epoch", String(pipeline.epoch()));
    return md;
  };

  const trailer = (): grpc.Metadata => {
    const md = epochMetadata();
    md.set("chat-commit-index", String(pipeline.commitIndex()));
    return md;
  };

  function unary<Req, Res>(body: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>): void => {
      decodable(call.request as object)
        .then(() => body(call))
        .then(
        (response) => callback(null, response, trailer()),
        (err: unknown) => callback(toStatus(err, (e) => log.error({ err: e }, "handler failed"))),
      );
    };
  }

  const decodable = async (request: object): Promise<void> => assertDecodable(request);

  const tokenHashOf = (call: Call): string => {
    const token = bearerToken(call.metadata.get("authorization"));
    if (!token) fail("unauthenticated", "missing or malformed `authorization: Bearer <token>`");
    return hashToken(token);
  };

  /** The user a token hash belongs to now (throws unauthenticated). */
  const userOf = (tokenHash: string): string => {
    const who = authenticate(pipeline.state, tokenHash, pipeline.logTimeNow());
    if ("kind" in who) throw who;
    return who.username;
  };

  const caller = (call: Call): { username: string; tokenHash: string } => {
    const tokenHash = tokenHashOf(call);
    return { username: userOf(tokenHash), tokenHash };
  };

  /** For a mutating call: a retry of an applied request skips the checks and is replayed. */
  const mutatingCaller = (call: Call, id: string): string =>
    isKnownRequest(pipeline.state, id) ? tokenHashOf(call) : caller(call).tokenHash;

  /** Per-user send rate. */
  const limitSendRate = (username: string): void => {
    const waitMs = sends.take(username, Date.now());
    if (waitMs > 0) fail("resource-exhausted", `more than ${sends.ratePerSec} messages/s; wait ${waitMs} ms`);
  };

  /** One send (SendMessage or an item of SendMessages); a retry of an applied request is
   *  replayed without the checks, and only a first attempt counts against the send rate. */
  const sendOne = async (tokenHash: string, id: string, request: SendMessageRequest): Promise<WireMessage> => {
    if (!isKnownRequest(pipeline.state, id)) limitSendRate(userOf(tokenHash));
    const { to, text } = request;
    const clientMsgId = request.clientMsgId === "" ? randomUUID() : request.clientMsgId;
    checked.clientMsgId(clientMsgId);
    checked.text(text);
    const { message } = await commit({
      kind: "send", requestId: id, tokenHash, to: checked.username(to), text, clientMsgId,
      messageId: randomUUID(), sentAtMs: Date.now(),
    });
    return toWireMessage(message);
  };

  /** The client's `chat-request-id` (kept across its retries, R21), or a fresh one. */
  const requestId = (call: Call): string => {
    const [value] = call.metadata.get("chat-request-id");
    if (value === undefined) return randomUUID();
    return checked.requestId(typeof value === "string" ? value : "");
  };

  const commit = async <C extends Command>(command: C): Promise<CommandResults[C["kind"]]> => {
    const outcome = await pipeline.propose(command);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };

  return {
    register: unary(async (call) => {
      await serving();
      const id = requestId(call);
      const username = checked.username(call.request.username);
      const password = checked.password(call.request.password);
      const taken = findAccount(pipeline.state, username);
      // A retried Register (its chat-request-id already applied, R21) finds its own account: with
      // the right password it is proposed again, and apply returns the first outcome with a new
      // session. Only then is the password checked, or Register would test passwords unthrottled.
      const wanted = (): boolean => !call.cancelled;
      const retry = taken && isKnownRequest(pipeline.state, id)
        && (await verifyPassword(password, taken.passwordHash, wanted));
      if (taken && !retry) fail("already-exists", `username "${username}" is taken`);
      const passwordHash = taken ? taken.passwordHash : await hashPassword(password, wanted);
      await serving();
      const token = mintToken();
      const result = await commit({
        kind: "register", requestId: id, username, passwordHash, tokenHash: hashToken(token),
      });
      return toAuthResponse(token, result.username, result.unread);
    }),

    login: unary(async (call) => {
      await serving();
      const id = requestId(call);
      const username = checked.username(call.request.username);
      const password = checked.password(call.request.password);
      const keys = { username, peer: peerHost(call.getPeer()) };
      throttled(keys);
      // Counted as failed until the password checks out, so guesses sent at once all count.
      logins.failed(keys, Date.now());
      const account = findAccount(pipeline.state, username);
      if (!account) fail("not-found", `unknown user "${username}"`);
      if (!(await verifyPassword(password, account.passwordHash, () => !call.cancelled))) {
        fail("unauthenticated", "wrong password");
      }
      logins.succeeded(keys);
      await serving();
      const token = mintToken();
      const result = await commit({
        kind: "login", requestId: id, username, passwordHash: account.passwordHash,
        tokenHash: hashToken(token),
      });
      return toAuthResponse(token, result.username, result.unread);
    }),

    logout: unary(async (call) => {
      await serving();
      const id = requestId(call);
      const tokenHash = mutatingCaller(call, id);
      await commit({ kind: "logout", requestId: id, tokenHash });
      return create(LogoutResponseSchema);
    }),

    deleteAccount: unary(async (call) => {
      await serving();
      const id = requestId(call);
      const tokenHash = mutatingCaller(call, id);
      const confirmUsername = call.request.confirmUsername.trim().toLowerCase();
      await commit({ kind: "delete-account", requestId: id, tokenHash, confirmUsername });
      return create(DeleteAccountResponseSchema);
    }),

    listUsers: unary(async (call) => {
      await serving();
      caller(call);
      await pipeline.readBarrier();
      const { pattern, limit, pageToken } = call.request;
      const page = listUsers(pipeline.state, { pattern, limit, pageToken }, (name) =>
        subscriptions.isOnline(name));
      if ("kind" in page) throw page;
      return create(ListUsersResponseSchema, page);
    }),

    sendMessage: unary(async (call) => {
      await serving();
      const message = await sendOne(tokenHashOf(call), requestId(call), call.request);
      return create(SendMessageResponseSchema, { message });
    }),

    sendMessages(call) {
      // Requests that arrive meanwhile wait in the stream until serveSendStream reads them.
      serving().then(() => {
        const tokenHash = tokenHashOf(call);
        call.sendMetadata(epochMetadata());
        serveSendStream(call, {
          pipeline,
          log,
          send: (item) => {
            const id = item.requestId === "" ? randomUUID() : checked.requestId(item.requestId);
            if (!item.send) throw invalidArgumentError("a send without its message");
            return sendOne(tokenHash, id, item.send);
          },
        });
      }).catch((err: unknown) => {
        call.emit("error", toStatus(err, (e) => log.error({ err: e }, "send stream failed")));
      });
    },

    history: unary(async (call) => {
      await serving();
      const { username } = caller(call);
      await pipeline.readBarrier();
      const beforeSeq = safeNumber(call.request.beforeSeq);
      if (beforeSeq === undefined) throw invalidArgumentError("before_seq is out of range");
      const result = history(pipeline.state, username, {
        peer: checked.username(call.request.peer), beforeSeq, limit: call.request.limit,
      });
      if ("kind" in result) throw result;
      return create(HistoryResponseSchema, { messages: result.map(toWireMessage) });
    }),

    markRead: unary(async (call) => {
      await serving();
      const id = requestId(call);
      const tokenHash = mutatingCaller(call, id);
      const upToSeq = safeNumber(call.request.upToSeq);
      if (upToSeq === undefined) throw invalidArgumentError("up_to_seq is out of range");
      await commit({
        kind: "mark-read", requestId: id, tokenHash, peer: checked.username(call.request.peer), upToSeq,
      });
      return create(MarkReadResponseSchema);
    }),

    subscribe(call) {
      try {
        assertDecodable(call.request);
        servingNow();
        const { username, tokenHash } = caller(call);
        const afterSeq = safeNumber(call.request.afterSeq);
        if (afterSeq === undefined) throw invalidArgumentError("after_seq is out of range");
        subscriptions.open(call, username, tokenHash, afterSeq);
      } catch (err) {
        call.emit("error", toStatus(err, (e) => log.error({ err: e }, "subscribe failed")));
      }
    },
  };
}

function assertDecodable(request: object): void {
  if (isUndecodable(request)) throw invalidArgumentError(undecodableReason);
}

function invalidArgumentError(message: string): ChatError {
  return chatError("invalid-argument", message);
}
