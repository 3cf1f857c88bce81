// Background work (writing a snapshot) shares the event loop with the commit path, and the
// machine with the other replicas. Yielding between steps keeps the loop turning, but a
// snapshot still took a whole core for a second per 100,000 messages, and a replica that
// slows down slows every commit (the primary waits for its backups): on a busy machine sends
// queued behind it for half a second. So the work rests between slices, in proportion to how
// long it ran, and takes at most `duty` of a core. Only the work's own time counts (from a
// step's return to the next step), not what the loop ran meanwhile, and a rest is bounded, so
// a node that was stopped or busy does not make its snapshot sleep for long. `unpace` ends the
// pacing (a node shutting down, or waiting for the write, wants it done).
import { setImmediate as yieldToLoop } from "node:timers/promises";

export interface PacerClock {
  now(): number;
  /** Resolves after `ms`, or when `cancel` (given once the timer runs) is called. */
  sleep(ms: number, onCancel: (cancel: () => void) => void): Promise<void>;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, onCancel) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    onCancel(() => {
      clearTimeout(timer);
      resolve();
    });
  }),
};

/** Work counted toward one rest is capped at this many slices. */
const slicesPerRestMax = 4;

export class Pacer {
  private worked = 0;
  private resumedAt: number;
  private unpaced = false;
  private cancelRest: (() => void) | undefined;

  /** `sliceMs`: work between rests; `duty` in (0, 1]: the share of the time it may work. */
  constructor(private readonly sliceMs: number, private readonly duty: number,
    private readonly clock: PacerClock = realClock) {
    if (!(sliceMs > 0) || !(duty > 0 && duty <= 1)) throw new Error(`pacer ${sliceMs} ms at duty ${duty}`);
    this.resumedAt = clock.now();
  }

  /** Call between steps: yields a turn of the loop, and rests once a slice of work is done. */
  async step(): Promise<void> {
    this.worked += this.clock.now() - this.resumedAt;
    if (this.worked >= this.sliceMs && this.duty < 1 && !this.unpaced) {
      const rest = Math.min(this.worked, slicesPerRestMax * this.sliceMs) * (1 / this.duty - 1);
      this.worked = 0;
      await this.clock.sleep(rest, (cancel) => (this.cancelRest = cancel));
      this.cancelRest = undefined;
    } else {
      await yieldToLoop();
    }
    this.resumedAt = this.clock.now();
  }

  /** From now on only yields; a rest under way ends at once. */
  unpace(): void {
    this.unpaced = true;
    this.cancelRest?.();
  }
}
