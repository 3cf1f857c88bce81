// Passwords and session tokens. Passwords are hashed with scrypt on the libuv pool with
// bounded concurrency (R9); tokens are 256-bit random and only their SHA-256 reaches the log.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { chatError } from "@chat-tui/chat-state";
import { scryptConcurrencyMax, scryptQueueMax } from "../limits.js";
import { CallerGoneError } from "./errors.js";

const keyBytes = 32;
const cost = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

let running = 0;
const waiting: (() => void)[] = [];

/** Says whether the caller still waits for the answer (a gRPC call not yet cancelled). */
export type StillWanted = () => boolean;

/**
 * Runs `work` when a slot is free. A job whose caller gave up while it queued is dropped
 * unrun: a client that timed out and retried would otherwise pay for its hash twice, and a
 * burst of logins would feed on itself.
 */
async function withSlot<T>(work: () => Promise<T>, wanted: StillWanted): Promise<T> {
  if (running >= scryptConcurrencyMax) {
    if (waiting.length >= scryptQueueMax) throw chatError("resource-exhausted", "too many logins at once; retry");
    await new Promise<void>((resolve) => waiting.push(resolve));
    // Woken with the slot of a finished job: pass it on rather than hash for nobody.
    if (!wanted()) {
      waiting.shift()?.();
      throw new CallerGoneError();
    }
  }
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, wanted: StillWanted):
  Promise<Buffer> {
  return withSlot(() => new Promise((resolve, reject) =>
    scrypt(password, salt, keyBytes, { ...params, maxmem: cost.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key))), wanted);
}

/** `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string, wanted: StillWanted = () => true): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost, wanted);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64url"), key.toString("base64url")]
    .join("$");
}

export async function verifyPassword(password: string, stored: string, wanted: StillWanted = () => true):
  Promise<boolean> {
  const [tag, n, r, p, salt, hash] = stored.split("$");
  if (tag !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(password, Buffer.from(salt, "base64url"), { N: Number(n), r: Number(r), p: Number(p) }, wanted);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export function mintToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The bearer token of a call's `authorization` metadata, if well-formed. */
export function bearerToken(values: unknown[]): string | undefined {
  const value = values[0];
  if (typeof value !== "string") return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(value.trim());
  return match?.[1];
}
