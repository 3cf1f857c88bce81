// Typed errors at the RPC boundary: every chat error kind has exactly one gRPC status, and a
// node that cannot serve says where the primary is (trailing metadata `chat-primary`).
import * as grpc from "@grpc/grpc-js";
import { isChatError, type ChatError } from "@chat-tui/chat-state";

const statusOf = {
  "invalid-argument": grpc.status.INVALID_ARGUMENT,
  "not-found": grpc.status.NOT_FOUND,
  "already-exists": grpc.status.ALREADY_EXISTS,
  unauthenticated: grpc.status.UNAUTHENTICATED,
  "permission-denied": grpc.status.PERMISSION_DENIED,
  "failed-precondition": grpc.status.FAILED_PRECONDITION,
  "resource-exhausted": grpc.status.RESOURCE_EXHAUSTED,
} satisfies Record<ChatError["kind"], grpc.status>;

export const primaryMetadataKey = "chat-primary";

/** Why a request that grpc-js could not decode (see the proto adapter's isUndecodable) is refused. */
export const undecodableReason = "the request is not valid protobuf (a string field with invalid UTF-8?)";

/** Thrown by the pipeline when this node cannot serve clients (not primary, recovering…). */
export class NotServingError extends Error {
  constructor(
    readonly reason: string,
    readonly primaryAddress: string | undefined,
    /** This node is the primary and serves once its epoch's barrier commits (soon). */
    readonly starting = false,
  ) {
    super(reason);
  }
}

/** The caller cancelled (or its deadline passed) before the work began: nobody to answer. */
export class CallerGoneError extends Error {
  constructor() {
    super("the caller gave up before the work began");
  }
}

export function chatErrorStatus(error: ChatError): Partial<grpc.StatusObject> {
  return { code: statusOf[error.kind], details: error.message };
}

export function notServingStatus(error: NotServingError): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (error.primaryAddress) metadata.set(primaryMetadataKey, error.primaryAddress);
  const where = error.primaryAddress ? `; the primary is ${error.primaryAddress}` : "";
  return { code: grpc.status.UNAVAILABLE, details: `${error.reason}${where}`, metadata };
}

export function resourceExhausted(message: string): Partial<grpc.StatusObject> {
  return { code: grpc.status.RESOURCE_EXHAUSTED, details: message };
}

/** Maps anything a handler threw to a status; unknown errors are internal and logged. */
export function toStatus(err: unknown, log: (err: unknown) => void): Partial<grpc.StatusObject> {
  if (err instanceof NotServingError) return notServingStatus(err);
  if (isChatError(err)) return chatErrorStatus(err);
  if (err instanceof CallerGoneError) return { code: grpc.status.CANCELLED, details: err.message };
  log(err);
  return { code: grpc.status.INTERNAL, details: "internal error; the node logged it" };
}

