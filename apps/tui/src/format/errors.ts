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

/** Kinds whose message says what to do (which field, how long to wait, which CA to trust). */
const detailed = new Set<ChatErrorKind>(["invalid-argument", "rate-limited", "unavailable"]);

/** One short line: the kind's text, or the SDK's message where it tells the person more. */
export function describeError(err: unknown): string {
  const kind = errorKind(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (kind === undefined) return detail || "unexpected error";
  if (detailed.has(kind) && detail) return detail;
  return errorText[kind];
}
