// Typed errors the state machine returns for bad input (STYLE habit 4), their human
// messages, and the two assertion helpers for bugs (a broken invariant throws).

export type ChatErrorKind =
  | "invalid-argument"
  | "not-found"
  | "already-exists"
  | "unauthenticated"
  | "permission-denied"
  | "failed-precondition"
  | "resource-exhausted";

export interface ChatError {
  readonly kind: ChatErrorKind;
  readonly message: string;
}

export const chatErrorKinds: readonly ChatErrorKind[] = [
  "invalid-argument",
  "not-found",
  "already-exists",
  "unauthenticated",
  "permission-denied",
  "failed-precondition",
  "resource-exhausted",
];

export function chatError(kind: ChatErrorKind, message: string): ChatError {
  return { kind, message };
}

export function isChatError(value: unknown): value is ChatError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { kind?: unknown; message?: unknown };
  return (
    typeof candidate.message === "string" &&
    (chatErrorKinds as readonly unknown[]).includes(candidate.kind)
  );
}

/** Quotes untrusted input for an error message, cut short so a message stays small. */
export function quote(input: string): string {
  const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
  return JSON.stringify(shown);
}

/** The messages users see, in one table so wording stays consistent. */
export const errors = {
  unknownUser: (username: string) => chatError("not-found", `unknown user ${quote(username)}`),
  usernameTaken: (username: string) =>
    chatError("already-exists", `username ${quote(username)} is taken`),
  wrongPassword: () => chatError("unauthenticated", "wrong password"),
  sessionInvalid: () => chatError("unauthenticated", "session expired or logged out"),
  selfSend: () => chatError("failed-precondition", "you cannot send a message to yourself"),
  selfConversation: () =>
    chatError("failed-precondition", "you have no conversation with yourself"),
  confirmMismatch: (given: string, username: string) =>
    chatError(
      "failed-precondition",
      `confirm_username ${quote(given)} does not match your username ${quote(username)}`
    ),
  tokenInUse: () => chatError("invalid-argument", "session token is already in use"),
  requestIdReused: (requestId: string, kind: string) =>
    chatError(
      "invalid-argument",
      `chat-request-id ${quote(requestId)} was already used for a different call (${kind})`
    ),
} as const;

/** Ends an exhaustive switch: a new union member without a case fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** Asserts an invariant of the state machine; a broken one is a bug, so it throws. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`chat-state invariant broken: ${message}`);
}
