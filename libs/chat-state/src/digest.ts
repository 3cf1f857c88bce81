// A deterministic fingerprint of the whole state, to compare replicas and check that a
// restored snapshot equals the original: FNV-1a 64 over a canonical serialisation of the
// snapshot header (keys sorted) and of every message. No crypto: this is no security hash.

import { captureSnapshot } from "./snapshot.js";
import type { ChatState } from "./state.js";

/** FNV-1a 64 in four 16-bit limbs (little-endian), so every product stays below 2^53. */
export class Fnv64 {
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  byte(value: number): void {
    this.h0 ^= value;
    // multiply by the prime 2^40 + 0x1b3
    const t0 = this.h0 * 0x1b3;
    const t1 = this.h1 * 0x1b3 + (t0 >>> 16);
    const t2 = this.h2 * 0x1b3 + this.h0 * 0x100 + (t1 >>> 16);
    const t3 = this.h3 * 0x1b3 + this.h1 * 0x100 + (t2 >>> 16);
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
    this.h3 = t3 & 0xffff;
  }

  /** Feeds each UTF-16 code unit as two bytes, then a separator. */
  update(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      this.byte(unit & 0xff);
      this.byte(unit >>> 8);
    }
    this.byte(0xff);
    this.byte(0xff);
  }

  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0]
      .map((limb) => limb.toString(16).padStart(4, "0"))
      .join("");
  }
}

/** JSON with object keys sorted, so property order never changes the digest. */
export function canonicalJson(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${fields.join(",")}}`;
}

export function stateDigest(state: ChatState): string {
  const hash = new Fnv64();
  const { header } = captureSnapshot(state);
  for (const [name, part] of Object.entries(header).sort(([a], [b]) => (a < b ? -1 : 1))) {
    hash.update(name);
    if (Array.isArray(part)) for (const item of part) hash.update(canonicalJson(item));
    else hash.update(canonicalJson(part));
  }
  for (const m of state.messages) {
    hash.update(JSON.stringify([m.seq, m.id, m.from, m.to, m.text, m.sentAtMs, m.clientMsgId]));
  }
  return hash.hex();
}
