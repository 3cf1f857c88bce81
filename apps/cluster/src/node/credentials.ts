// Passwords and session tokens. Passwords are hashed with scrypt on the libuv pool with
// bounded concurrency (R9); tokens are 256-bit random and only their SHA-256 reaches the log.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { scryptConcurrencyMax, scryptQueueMax } from "../limits.js";

const keyBytes = 32;
const cost = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

let running = 0;
const waiting: (() => void)[] = [];

export class BusyError extends Error {}

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= scryptConcurrencyMax) {
    if (waiting.length >= scryptQueueMax) throw new BusyError("too many logins at once; retry");
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return withSlot(() => new Promise((resolve, reject) =>
    scrypt(password, salt, keyBytes, { N, r, p, maxmem: cost.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash` (base64url parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost.N, cost.r, cost.p);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64url"), key.toString("base64url")]
    .join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, salt, hash] = stored.split("$");
  if (tag !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(password, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
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
