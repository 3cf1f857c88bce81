// A first-in-first-out queue with O(1) amortised push and shift. Expiry walks each table
// from its oldest entry; doing that by iterating a Map that is deleted from at the front
// is quadratic in V8 (deleted slots stay until a rehash), so each table keeps one of these.

/** Entries removed from the table early (logout, purge) stay here as stale items until
 * they reach the front or a compaction drops them. */
export class FifoQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Drops stale items once they outnumber the live ones (keeps memory O(live)). */
  compactIfStale(liveCount: number, isLive: (item: T) => boolean): void {
    if (this.length <= 2 * liveCount + 1024) return;
    this.items = this.items.slice(this.head).filter((item) => item !== undefined && isLive(item));
    this.head = 0;
  }
}
