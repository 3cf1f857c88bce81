// Typed client errors: every failure a caller can see is a ChatError with a kind to switch on
// and a message a person understands. One table maps gRPC status codes to kinds; the RPC
// context (which call, which user) supplies the words.
import * as grpc from "@grpc/grpc-js";

export type ChatErrorKind =
  | "invalid-argument"
  | "unknown-user"
  | "username-taken"
  | "wrong-password"
  | "unauthenticated"
  | "not-allowed"
  | "self-send"
  | "rate-limited"
  | "unavailable"
  | "closed"
  | "internal";

export class ChatError extends Error {
  readonly kind: ChatErrorKind;

  constructor(kind: ChatErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ChatError";
    this.kind = kind;
  }
}

/** What a failed call was doing, for the words of its error. */
export interface CallContext {
  /** The RPC's local name, e.g. `sendMessage`. */
  method: string;
  /** The user the call is about (login name, recipient, peer), quoted in messages. */
  subject?: string | undefined;
}

/** Statuses after which the same call is retried on the (new) primary (R22). CANCELLED and
 *  ABORTED come from a connection or a role change cut mid-call; retrying is safe because
 *  every mutating call carries its `chat-request-id`. */
export function isRetryableStatus(code: grpc.status): boolean {
  return (
    code === grpc.status.UNAVAILABLE ||
    code === grpc.status.DEADLINE_EXCEEDED ||
    code === grpc.status.CANCELLED ||
    code === grpc.status.ABORTED
  );
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<grpc.ServiceError>).code === "number" &&
    "metadata" in err
  );
}

const kindOfStatus = {
  [grpc.status.OK]: "internal",
  [grpc.status.CANCELLED]: "unavailable",
  [grpc.status.UNKNOWN]: "internal",
  [grpc.status.INVALID_ARGUMENT]: "invalid-argument",
  [grpc.status.DEADLINE_EXCEEDED]: "unavailable",
  [grpc.status.NOT_FOUND]: "unknown-user",
  [grpc.status.ALREADY_EXISTS]: "username-taken",
  [grpc.status.PERMISSION_DENIED]: "not-allowed",
  [grpc.status.RESOURCE_EXHAUSTED]: "rate-limited",
  [grpc.status.FAILED_PRECONDITION]: "not-allowed",
  [grpc.status.ABORTED]: "unavailable",
  [grpc.status.OUT_OF_RANGE]: "invalid-argument",
  [grpc.status.UNIMPLEMENTED]: "internal",
  [grpc.status.INTERNAL]: "internal",
  [grpc.status.UNAVAILABLE]: "unavailable",
  [grpc.status.DATA_LOSS]: "internal",
  [grpc.status.UNAUTHENTICATED]: "unauthenticated",
} satisfies Record<grpc.status, ChatErrorKind>;

const selfSendPattern = /\b(self|yourself|oneself)\b/i;

/** The typed error for a non-retryable gRPC failure of `context`. */
export function toChatError(err: grpc.ServiceError, context: CallContext): ChatError {
  const details = err.details?.trim() || "";
  const subject = context.subject;
  const kind = refineKind(kindOfStatus[err.code as grpc.status] ?? "internal", err, context);
  const message = messageFor(kind, details, subject);
  return new ChatError(kind, message, { cause: err });
}

function refineKind(
  kind: ChatErrorKind,
  err: grpc.ServiceError,
  context: CallContext,
): ChatErrorKind {
  if (kind === "unauthenticated" && context.method === "login") return "wrong-password";
  if (err.code === grpc.status.FAILED_PRECONDITION && context.method === "sendMessage") {
    if (selfSendPattern.test(err.details ?? "")) return "self-send";
  }
  return kind;
}

function messageFor(kind: ChatErrorKind, details: string, subject: string | undefined): string {
  const who = subject === undefined ? undefined : JSON.stringify(subject);
  switch (kind) {
    case "unknown-user":
      return who ? `unknown user ${who}` : details || "unknown user";
    case "username-taken":
      return who ? `username ${who} is taken` : details || "username is taken";
    case "wrong-password":
      return who ? `wrong password for ${who}` : "wrong password";
    case "unauthenticated":
      return `not logged in${details ? ` (${details})` : ""}; log in again`;
    case "self-send":
      return details || "you cannot send a message to yourself";
    case "not-allowed":
      return details || "not allowed";
    case "invalid-argument":
      return details || "invalid argument";
    case "rate-limited":
      return `too many requests; slow down${details ? ` (${details})` : ""}`;
    case "unavailable":
      return details || "cluster unavailable";
    case "closed":
      return "client closed";
    case "internal":
      return `internal error${details ? `: ${details}` : ""}`;
    default:
      return assertNever(kind);
  }
}

/** The give-up error of a call that found no primary within its overall deadline. */
export function unavailableError(deadlineMs: number, cause: unknown, problem?: string): ChatError {
  const seconds = Math.round(deadlineMs / 100) / 10;
  const message = problem ?? `cluster unavailable: no primary after ${seconds} s`;
  return new ChatError("unavailable", message, { cause });
}

export function closedError(): ChatError {
  return new ChatError("closed", "client closed");
}

/** One line for a person, whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof ChatError) return err.message;
  if (isServiceError(err)) return tidyDetails(err.details || err.message);
  if (err instanceof Error) return err.message;
  return String(err);
}

/** grpc-js transport details, e.g. "No connection established. Last error: Error: connect
 *  ECONNREFUSED 127.0.0.1:2. Resolution note: ", cut to "connect ECONNREFUSED 127.0.0.1:2". */
function tidyDetails(details: string): string {
  const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/.exec(details);
  return (last?.[1] ?? details).trim();
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
