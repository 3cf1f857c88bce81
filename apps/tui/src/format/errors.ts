// What a person reads when a call fails: one line per ChatError kind. Errors are recognised
// by their `kind` (duck-typed), so the SDK's ChatError and the test fake's both work.
import type { ChatErrorKind } from "../client-port.js";

export const errorText = {
  "invalid-argument": "that is not valid",
  "unknown-user": "unknown user",
  "username-taken": "username taken",
  "wrong-password": "wrong password",
  unauthenticated: "session expired — log in again",
  "not-allowed": "not allowed",
  "self-send": "you cannot message yourself",
  "rate-limited": "slow down — too many requests",
  unavailable: "cluster unavailable",
  closed: "connection closed",
  internal: "internal error",
} satisfies Record<ChatErrorKind, string>;

const kinds = new Set<string>(Object.keys(errorText));

export function errorKind(err: unknown): ChatErrorKind | undefined {
  if (typeof err !== "object" || err === null || !("kind" in err)) return undefined;
  const kind = (err as { kind: unknown }).kind;
  return typeof kind === "string" && kinds.has(kind) ? (kind as ChatErrorKind) : undefined;
}

/** One short line: the kind's text, plus the server's detail for invalid arguments. */
export function describeError(err: unknown): string {
  const kind = errorKind(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (kind === undefined) return detail || "unexpected error";
  if (kind === "invalid-argument" && detail) return detail;
  return errorText[kind];
}
