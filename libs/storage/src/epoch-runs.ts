// Which epoch each index of the log has, kept as runs (epochs change rarely), so the writer
// can check appends and answer "epoch at index" for a truncation without holding entries.
import type { LogEntry, LogPosition } from "./log-entry.js";

export class EpochRuns {
  /** `starts[k]` is the first index of a run of epoch `epochs[k]`; runs cover (base, last]. */
  private readonly starts: number[] = [];
  private readonly epochs: number[] = [];
  private base: LogPosition;
  private lastIndexValue: number;

  constructor(base: LogPosition) {
    this.base = base;
    this.lastIndexValue = base.index;
  }

  static fromEntries(base: LogPosition, entries: readonly LogEntry[]): EpochRuns {
    const runs = new EpochRuns(base);
    for (const e of entries) runs.push(e.index, e.epoch);
    return runs;
  }

  get baseIndex(): number {
    return this.base.index;
  }
  get lastIndex(): number {
    return this.lastIndexValue;
  }
  get lastEpoch(): number {
    return this.epochs.length > 0
      ? (this.epochs[this.epochs.length - 1] as number)
      : this.base.epoch;
  }

  push(index: number, epoch: number): void {
    if (index !== this.lastIndexValue + 1 || epoch < this.lastEpoch) {
      throw new Error(
        `epoch runs: (${index}, ${epoch}) after (${this.lastIndexValue}, ${this.lastEpoch})`,
      );
    }
    if (epoch !== this.lastEpoch || this.epochs.length === 0) {
      this.starts.push(index);
      this.epochs.push(epoch);
    }
    this.lastIndexValue = index;
  }

  /** Epoch of the entry at `index`, for base ≤ index ≤ last. */
  epochAt(index: number): number {
    if (index < this.base.index || index > this.lastIndexValue) {
      throw new Error(`epoch runs: ${index} outside [${this.base.index}, ${this.lastIndexValue}]`);
    }
    if (index === this.base.index) return this.base.epoch;
    let lo = 0;
    let hi = this.starts.length - 1;
    // Binary search for the last run starting at or before `index`.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.epochs[lo] as number;
  }

  truncateAfter(index: number): void {
    this.epochAt(index); // range check
    while (this.starts.length > 0 && (this.starts[this.starts.length - 1] as number) > index) {
      this.starts.pop();
      this.epochs.pop();
    }
    this.lastIndexValue = index;
  }

  /** The log now starts after `base` (compaction or reset). Runs before it are dropped. */
  rebase(base: LogPosition): void {
    if (base.index >= this.lastIndexValue) {
      this.starts.length = 0;
      this.epochs.length = 0;
      this.lastIndexValue = base.index;
    } else {
      let drop = 0;
      while (drop + 1 < this.starts.length && (this.starts[drop + 1] as number) <= base.index + 1) {
        drop++;
      }
      this.starts.splice(0, drop);
      this.epochs.splice(0, drop);
      if (this.starts.length > 0) this.starts[0] = base.index + 1;
    }
    this.base = base;
  }
}
