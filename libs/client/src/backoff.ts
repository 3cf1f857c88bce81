// Jittered, bounded backoff between attempts (R22): the first retry waits 20–100 ms, each
// later one up to twice as long, never more than ~1 s. Pure; the random source is a parameter.
import { backoffGrowth, backoffMsFirstMax, backoffMsMax, backoffMsMin } from "./limits.js";

/** The wait before retry number `attempt` (0 = the first retry), in ms. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const growth = backoffGrowth ** Math.min(Math.max(attempt, 0), 16);
  const upper = Math.min(backoffMsFirstMax * growth, backoffMsMax);
  const lower = Math.min(backoffMsMin * growth, upper / 2);
  return Math.round(lower + random() * (upper - lower));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
