// Log time (REPLICATION.md R1): continues from the last entry's `ts` by monotonic elapsed
// time, never read from the wall clock, never decreasing.
export class LogClock {
  private baseTs: number;
  private baseMono: number;

  constructor(lastTs: number, private readonly monoNow: () => number = monotonicMs) {
    this.baseTs = lastTs;
    this.baseMono = monoNow();
  }

  now(): number {
    return this.baseTs + (this.monoNow() - this.baseMono);
  }

  /** The ts for a new entry: now, but never below an entry already in the log. */
  stamp(floorTs: number): number {
    const now = this.now();
    if (floorTs > now) this.rebase(floorTs);
    return Math.max(now, floorTs);
  }

  rebase(ts: number): void {
    this.baseTs = ts;
    this.baseMono = this.monoNow();
  }
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}
