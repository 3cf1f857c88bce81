// Abuse limits of the primary, kept in memory (they restart empty after a failover, which only
// gives a guesser a fresh budget on a new node, never a way in):
// - LoginThrottle: failed logins per username and per peer address; past a free allowance
//   each further failure doubles the wait, and a login inside the wait is refused even with
//   the right password (otherwise the lock-out would tell a guesser when it guessed right).
// - SendRateLimiter: a token bucket of messages per sender.
// Both take the time as an argument and bound their tables.
import {
  loginFailuresFreePerPeer,
  loginFailuresFreePerUser,
  loginFailureWindowMs,
  loginLockoutMsBase,
  loginLockoutMsMax,
  sendBurstPerUser,
  sendsPerUserPerSec,
  throttleKeysMax,
} from "../limits.js";

interface Failures {
  count: number;
  lastMs: number;
}

/** Insertion-ordered map that forgets its oldest key past `max` (a touched key moves last). */
class BoundedMap<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: string, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.max) super.delete(this.keys().next().value!);
    return this;
  }
}

export interface LoginKeys {
  username: string;
  /** The caller's address without its port (one client reconnects from many ports). */
  peer: string;
}

export class LoginThrottle {
  private readonly failures = new BoundedMap<Failures>(throttleKeysMax);

  /** Milliseconds the caller must still wait before the next attempt (0: go ahead). */
  waitMs(keys: LoginKeys, nowMs: number): number {
    return Math.max(
      this.waitFor(`user:${keys.username}`, loginFailuresFreePerUser, nowMs),
      this.waitFor(`peer:${keys.peer}`, loginFailuresFreePerPeer, nowMs),
    );
  }

  failed(keys: LoginKeys, nowMs: number): void {
    for (const key of [`user:${keys.username}`, `peer:${keys.peer}`]) {
      const entry = this.live(key, nowMs);
      this.failures.set(key, { count: (entry?.count ?? 0) + 1, lastMs: nowMs });
    }
  }

  /**
   * A correct password: the username's count starts over; the peer's loses the failure that
   * `failed` counted for this attempt before the password was checked (its others stay).
   */
  succeeded(keys: LoginKeys): void {
    this.failures.delete(`user:${keys.username}`);
    const peer = this.failures.get(`peer:${keys.peer}`);
    if (peer && peer.count > 1) this.failures.set(`peer:${keys.peer}`, { ...peer, count: peer.count - 1 });
    else if (peer) this.failures.delete(`peer:${keys.peer}`);
  }

  private waitFor(key: string, free: number, nowMs: number): number {
    const entry = this.live(key, nowMs);
    if (!entry || entry.count < free) return 0;
    return Math.max(0, entry.lastMs + lockoutMs(entry.count - free) - nowMs);
  }

  /** The entry of `key`, unless its last failure is older than the window plus its lock-out. */
  private live(key: string, nowMs: number): Failures | undefined {
    const entry = this.failures.get(key);
    if (!entry) return undefined;
    if (nowMs - entry.lastMs > loginFailureWindowMs + lockoutMs(entry.count)) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }
}

/** The lock-out after `beyond` failures past the free allowance: base × 2^beyond, capped. */
export function lockoutMs(beyond: number): number {
  return Math.min(loginLockoutMsMax, loginLockoutMsBase * 2 ** Math.min(beyond, 30));
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class SendRateLimiter {
  private readonly buckets = new BoundedMap<Bucket>(throttleKeysMax);

  constructor(
    readonly ratePerSec = sendsPerUserPerSec,
    private readonly burst = sendBurstPerUser,
  ) {}

  /** Takes one token for `username`; returns the ms until one is available when there is none. */
  take(username: string, nowMs: number): number {
    const bucket = this.buckets.get(username) ?? { tokens: this.burst, atMs: nowMs };
    const tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.atMs) * this.ratePerSec) / 1000);
    if (tokens < 1) {
      this.buckets.set(username, { tokens, atMs: nowMs });
      return Math.ceil(((1 - tokens) * 1000) / this.ratePerSec);
    }
    this.buckets.set(username, { tokens: tokens - 1, atMs: nowMs });
    return 0;
  }
}

/** "ipv4:1.2.3.4:5678" / "ipv6:[::1]:5678" → the address without the port. */
export function peerHost(peer: string): string {
  return peer.replace(/^ipv[46]:/, "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
}
