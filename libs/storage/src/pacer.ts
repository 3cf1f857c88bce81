// Background work (writing a snapshot) shares the event loop with the commit path, and the
// machine with the other replicas. Yielding between steps keeps the loop turning, but a
// snapshot still took a whole core for a second per 100,000 messages, and a replica that
// slows down slows every commit (the primary waits for its backups): on a busy machine sends
// queued behind it for half a second. So the work rests between slices, in proportion to how
// long it ran, and takes at most `duty` of a core; the spare CPU a busy cluster has left is
// enough for it, and the snapshot just takes longer.
import { setImmediate as yieldToLoop, setTimeout as sleep } from "node:timers/promises";

export class Pacer {
  private since = performance.now();

  /** `sliceMs`: work between rests; `duty` in (0, 1]: the share of the time it may work. */
  constructor(private readonly sliceMs: number, private readonly duty: number) {
    if (!(sliceMs > 0) || !(duty > 0 && duty <= 1)) throw new Error(`pacer ${sliceMs} ms at duty ${duty}`);
  }

  /** Call between steps: yields a turn of the loop, and rests once a slice is used up. */
  async step(): Promise<void> {
    const worked = performance.now() - this.since;
    if (worked < this.sliceMs || this.duty === 1) return yieldToLoop();
    await sleep(worked * (1 / this.duty - 1));
    this.since = performance.now();
  }
}
