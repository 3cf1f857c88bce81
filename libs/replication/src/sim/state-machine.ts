// A toy deterministic state machine for the simulator: an append-only list per key, a running
// digest, and apply-time dedup by request id (R21). Its snapshot is plain JSON data.

import type { LogEntry } from "../types.js";

export interface ToySnapshot {
  readonly index: number;
  readonly digest: number;
  readonly seen: readonly string[];
}

export class ToyStateMachine {
  index = 0;
  digest = 0x12345;
  readonly seen = new Set<string>();

  /** Applies one committed cmd entry; returns false for a duplicate (a no-op). */
  apply(e: LogEntry): boolean {
    this.index = e.index;
    const id = e.requestId ?? "";
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.digest = mix(this.digest, `${id}=${JSON.stringify(e.payload)}`);
    return true;
  }

  snapshot(): ToySnapshot {
    return { index: this.index, digest: this.digest, seen: [...this.seen] };
  }

  restore(s: ToySnapshot | undefined): void {
    this.seen.clear();
    this.index = s?.index ?? 0;
    this.digest = s?.digest ?? 0x12345;
    for (const id of s?.seen ?? []) this.seen.add(id);
  }
}

function mix(h: number, s: string): number {
  let x = h >>> 0;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}
