import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { ChatError, describeError, isRetryableStatus, toChatError, unavailableError } from "./errors.js";

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new grpc.Metadata() });
}

test("each status maps to a kind and to words a person understands", () => {
  const cases: [grpc.status, string, string | undefined, string, string][] = [
    [grpc.status.NOT_FOUND, "sendMessage", "bob", "unknown-user", 'unknown user "bob"'],
    [grpc.status.ALREADY_EXISTS, "register", "alice", "username-taken", 'username "alice" is taken'],
    [grpc.status.UNAUTHENTICATED, "login", "alice", "wrong-password", 'wrong password for "alice"'],
    [grpc.status.UNAUTHENTICATED, "history", "bob", "unauthenticated", "not logged in (x); log in again"],
    [grpc.status.FAILED_PRECONDITION, "sendMessage", "me", "self-send", "cannot send to yourself"],
    [grpc.status.FAILED_PRECONDITION, "deleteAccount", "me", "not-allowed", "x"],
    [grpc.status.PERMISSION_DENIED, "history", "bob", "not-allowed", "x"],
    [grpc.status.INVALID_ARGUMENT, "sendMessage", "bob", "invalid-argument", "x"],
    [grpc.status.RESOURCE_EXHAUSTED, "sendMessage", "bob", "rate-limited", "too many requests; slow down (x)"],
    [grpc.status.INTERNAL, "sendMessage", "bob", "internal", "internal error: x"],
  ];
  for (const [code, method, subject, kind, message] of cases) {
    const details = kind === "self-send" ? "cannot send to yourself" : "x";
    const err = toChatError(serviceError(code, details), { method, subject });
    assert.equal(err.kind, kind, `${code} on ${method}`);
    assert.equal(err.message, message, `${code} on ${method}`);
    assert.ok(err instanceof Error && err instanceof ChatError);
  }
});

test("only transport and role-change statuses are retried", () => {
  const retryable = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED,
    grpc.status.ABORTED];
  for (let code = 0; code <= 16; code++) {
    assert.equal(isRetryableStatus(code), retryable.includes(code), `status ${code}`);
  }
});

test("the give-up message names the deadline in seconds and keeps the cause", () => {
  const cause = new Error("connect ECONNREFUSED");
  const err = unavailableError(10_000, cause);
  assert.equal(err.message, "cluster unavailable: no primary after 10 s");
  assert.equal(err.kind, "unavailable");
  assert.equal(err.cause, cause);
  assert.equal(unavailableError(400, cause).message, "cluster unavailable: no primary after 0.4 s");
});

test("describeError gives one line for anything thrown", () => {
  assert.equal(describeError(new ChatError("closed", "client closed")), "client closed");
  assert.equal(describeError(serviceError(grpc.status.UNAVAILABLE, "connect refused")), "connect refused");
  assert.equal(describeError(new Error("boom")), "boom");
  const refused = "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2. "
    + "Resolution note: ";
  assert.equal(describeError(serviceError(grpc.status.UNAVAILABLE, refused)),
    "connect ECONNREFUSED 127.0.0.1:2");
  assert.equal(describeError("plain"), "plain");
});
