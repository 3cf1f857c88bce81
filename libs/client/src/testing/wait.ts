// Polling helpers for the SDK's tests.
import { setTimeout as delay } from "node:timers/promises";

/** Resolves once `predicate()` holds; fails the test after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

export { delay };
