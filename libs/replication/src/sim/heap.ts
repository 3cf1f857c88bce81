// A binary min-heap of (timeMs, seq) keyed items: the simulator's event queue.

export interface Timed {
  readonly atMs: number;
  readonly seq: number;
  readonly fire: () => void;
}

export class EventQueue {
  private readonly items: Timed[] = [];
  private seqNext = 0;

  get size(): number {
    return this.items.length;
  }

  push(atMs: number, fire: () => void): void {
    const item = { atMs, seq: this.seqNext++, fire };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peekTime(): number | undefined {
    return this.items[0]?.atMs;
  }

  pop(): Timed | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && less(a[l]!, a[m]!)) m = l;
      if (r < a.length && less(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
    return top;
  }
}

function less(x: Timed, y: Timed): boolean {
  return x.atMs !== y.atMs ? x.atMs < y.atMs : x.seq < y.seq;
}
