// Each log entry is serialised once. The primary's text of an entry goes into its own WAL and
// into the append message to every backup; a backup keeps the text it received and writes
// exactly that to its WAL. Texts are remembered per entry object (entries are immutable once
// in the log), so nothing is re-serialised on the hot path and nothing leaks.
//
// An append message travels as `{header JSON}\n{entry}\n{entry}…`: JSON.stringify never
// emits a raw newline, so the first one ends the header and each later line is one entry.
import type { Message as CoreMessage } from "@chat-tui/replication";

interface Positioned {
  readonly index: number;
  readonly epoch: number;
}

const texts = new WeakMap<object, string>();

/** The entry's JSON, starting `{"index":I,"epoch":E` as the WAL requires of raw entries. */
export function entryJson(entry: Positioned): string {
  let json = texts.get(entry);
  if (json === undefined) {
    json = JSON.stringify(hasPositionFirst(entry) ? entry : positionFirst(entry));
    texts.set(entry, json);
  }
  return json;
}

/** A copy whose first keys are index and epoch (a later duplicate key keeps its first place). */
function positionFirst(entry: Positioned): object {
  const copy: Record<string, unknown> = { index: entry.index, epoch: entry.epoch };
  return Object.assign(copy, entry);
}

function hasPositionFirst(entry: object): boolean {
  const keys = Object.keys(entry);
  return keys[0] === "index" && keys[1] === "epoch";
}

/** A replica message as bytes on the wire; an append carries its entries' cached texts. */
export function encodeMessage(msg: CoreMessage): string {
  if (msg.kind !== "append" || msg.entries.length === 0) return JSON.stringify(msg);
  const header = JSON.stringify({ ...msg, entries: [] });
  let text = header;
  for (const entry of msg.entries) text += `\n${entryJson(entry)}`;
  return text;
}

/** Parses `encodeMessage`'s output; each received entry remembers the exact text it came in. */
export function decodeMessage(payload: Buffer): CoreMessage {
  let end = payload.indexOf(0x0a);
  if (end < 0) return JSON.parse(payload.toString("utf8")) as CoreMessage;
  const msg = JSON.parse(payload.toString("utf8", 0, end)) as CoreMessage & { entries: object[] };
  if (msg.kind !== "append" || !Array.isArray(msg.entries) || msg.entries.length !== 0) {
    throw new Error("only an append carries entry lines");
  }
  // Bounded by the payload: every turn consumes one line.
  while (end < payload.length) {
    const start = end + 1;
    end = payload.indexOf(0x0a, start);
    if (end < 0) end = payload.length;
    const json = payload.toString("utf8", start, end);
    const entry = JSON.parse(json) as object;
    if (typeof entry !== "object" || entry === null || !hasPositionFirst(entry)) {
      throw new Error("an entry line must start with its index and epoch");
    }
    texts.set(entry, json);
    msg.entries.push(entry);
  }
  return msg;
}
