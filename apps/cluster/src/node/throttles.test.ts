import { test } from "node:test";
import assert from "node:assert/strict";
import { LoginThrottle, SendRateLimiter, lockoutMs, peerHost } from "./throttles.js";
import {
  loginFailuresFreePerPeer,
  loginFailuresFreePerUser,
  loginFailureWindowMs,
  loginLockoutMsBase,
  loginLockoutMsMax,
  sendBurstPerUser,
  sendsPerUserPerSec,
} from "../limits.js";

test("a username is locked after its free failures; each further failure doubles the wait", () => {
  const t = new LoginThrottle();
  const keys = { username: "ann", peer: "10.0.0.1" };
  for (let i = 0; i < loginFailuresFreePerUser; i++) {
    assert.equal(t.waitMs(keys, 1_000), 0);
    t.failed(keys, 1_000);
  }
  assert.equal(t.waitMs(keys, 1_000), loginLockoutMsBase);
  assert.equal(t.waitMs(keys, 1_000 + loginLockoutMsBase), 0);
  t.failed(keys, 5_000);
  assert.equal(t.waitMs(keys, 5_000), 2 * loginLockoutMsBase);
  // Another user from another address is not affected.
  assert.equal(t.waitMs({ username: "bob", peer: "10.0.0.2" }, 5_000), 0);
  // A success forgets the username's failures.
  t.succeeded(keys);
  assert.equal(t.waitMs({ username: "ann", peer: "10.0.0.3" }, 5_000), 0);
});

test("failures are forgotten after the window; the lock-out is capped", () => {
  const t = new LoginThrottle();
  const keys = { username: "cy", peer: "10.0.0.4" };
  for (let i = 0; i < loginFailuresFreePerUser; i++) t.failed(keys, 0);
  assert.ok(t.waitMs(keys, 0) > 0);
  assert.equal(t.waitMs(keys, loginFailureWindowMs + lockoutMs(loginFailuresFreePerUser) + 1), 0);
  assert.equal(lockoutMs(1_000), loginLockoutMsMax);
});

test("one address guessing many usernames is locked too", () => {
  const t = new LoginThrottle();
  for (let i = 0; i < loginFailuresFreePerPeer; i++) t.failed({ username: `u${i}`, peer: "10.9.9.9" }, 0);
  assert.ok(t.waitMs({ username: "fresh", peer: "10.9.9.9" }, 0) > 0);
  assert.equal(t.waitMs({ username: "fresh", peer: "10.9.9.8" }, 0), 0);
});

test("the send bucket allows a burst, then the sustained rate", () => {
  const s = new SendRateLimiter();
  for (let i = 0; i < sendBurstPerUser; i++) assert.equal(s.take("dee", 0), 0);
  const wait = s.take("dee", 0);
  assert.equal(wait, Math.ceil(1000 / sendsPerUserPerSec));
  assert.equal(s.take("dee", wait), 0);
  assert.equal(s.take("eve", 0), 0);
});

test("peerHost drops the scheme and the port", () => {
  assert.equal(peerHost("ipv4:127.0.0.1:5555"), "127.0.0.1");
  assert.equal(peerHost("ipv6:[::1]:5555"), "::1");
});
