// Each log entry is serialised once. The primary's text of an entry goes into its own WAL and
// into the append message to every backup; a backup keeps the text it received and writes
// exactly that to its WAL. Texts are remembered per entry object (entries are immutable once
// in the log), so nothing is re-serialised on the hot path and nothing leaks. A committed
// entry's text is forgotten once it is applied: every member holds it by then, so only a
// lagging peer's catch-up needs it again, and JSON.stringify of the parsed entry gives the
// same text. Keeping ~500 bytes per entry alive until compaction made every young-generation
// collection copy them (GC pauses, p99).
//
// An append message travels as `{header JSON}\n{entry}\n{entry}…`: JSON.stringify never
// emits a raw newline, so the first one ends the header and each later line is one entry.
import type { Message as CoreMessage } from "@chat-tui/replication";
import { limits as storageLimits } from "@chat-tui/storage";

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

/** Drops the remembered text of an applied entry (re-made by `entryJson` if asked again). */
export function forgetEntryJson(entry: object): void {
  texts.delete(entry);
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

/** The last append encoded: its header, entries and bytes (`encodeMessage`). */
let lastAppend: { header: string; entries: readonly Positioned[]; bytes: Buffer } | undefined;

/**
 * A replica message as bytes on the wire; an append carries its entries' cached texts. A
 * primary sends each batch to every backup in the same message (nothing in it names the
 * receiver), so an append equal to the last one encoded (the same header and the same entry
 * objects, which the log never changes) gets the same bytes back instead of being built and
 * encoded once more per backup.
 */
export function encodeMessage(msg: CoreMessage): Buffer {
  if (msg.kind !== "append" || msg.entries.length === 0) return Buffer.from(JSON.stringify(msg));
  const header = JSON.stringify({ ...msg, entries: [] });
  const last = lastAppend;
  if (last !== undefined && last.header === header && sameEntries(last.entries, msg.entries)) return last.bytes;
  let text = header;
  for (const entry of msg.entries) text += `\n${entryJson(entry)}`;
  const bytes = Buffer.from(text);
  lastAppend = { header, entries: msg.entries, bytes };
  return bytes;
}

function sameEntries(a: readonly Positioned[], b: readonly Positioned[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Parses `encodeMessage`'s output; each received entry remembers the exact text it came in.
 * Throws on a message whose entries could not be stored exactly as sent (see `entryProblem`),
 * so a crafted or damaged message is dropped here rather than failing the WAL write.
 */
export function decodeMessage(payload: Buffer): CoreMessage {
  let end = payload.indexOf(0x0a);
  if (end < 0) {
    const whole = JSON.parse(payload.toString("utf8")) as CoreMessage;
    const problem = inlineEntriesProblem(whole);
    if (problem !== undefined) throw new Error(problem);
    return whole;
  }
  const msg = JSON.parse(payload.toString("utf8", 0, end)) as CoreMessage & { entries: object[] };
  if (msg.kind !== "append" || !Array.isArray(msg.entries) || msg.entries.length !== 0) {
    throw new Error("only an append carries entry lines");
  }
  if (!isCount(msg.prevIndex) || !isCount(msg.prevEpoch) || !isCount(msg.epoch)) {
    throw new Error("an append's prevIndex, prevEpoch and epoch must be whole numbers");
  }
  let prev = { index: msg.prevIndex, epoch: msg.prevEpoch };
  // Bounded by the payload: every turn consumes one line.
  while (end < payload.length) {
    const start = end + 1;
    end = payload.indexOf(0x0a, start);
    if (end < 0) end = payload.length;
    if (end - start > storageLimits.recordBytesMax) {
      throw new Error(`entry line ${msg.entries.length + 1}: ${end - start} bytes, over the log's record limit`);
    }
    const json = payload.toString("utf8", start, end);
    const entry = JSON.parse(json) as unknown;
    const problem = entryProblem(entry, json, prev, msg.epoch);
    if (problem !== undefined) throw new Error(`entry line ${msg.entries.length + 1}: ${problem}`);
    const positioned = entry as Positioned;
    texts.set(positioned, json);
    msg.entries.push(positioned);
    prev = positioned;
  }
  return msg;
}

/**
 * Entries inside a message's JSON (an append sent without entry lines, a vote-reply's shipped
 * suffix) have no text of their own: they are stored re-serialised, so only their fields and
 * positions are checked, against the same rules as entry lines.
 */
function inlineEntriesProblem(msg: CoreMessage): string | undefined {
  let entries: unknown;
  let prev: Positioned;
  if (msg.kind === "append") {
    if (!isCount(msg.prevIndex) || !isCount(msg.prevEpoch)) {
      return "an append's prev is not a position";
    }
    entries = msg.entries;
    prev = { index: msg.prevIndex, epoch: msg.prevEpoch };
  } else if (msg.kind === "vote-reply" && msg.suffix !== undefined) {
    entries = msg.suffix;
    const first: unknown = Array.isArray(entries)
      ? (entries[0] as { index?: unknown } | undefined)?.index
      : undefined;
    if (!isCount(first) || first < 1 || !isCount(msg.suffixPrevEpoch)) {
      return "a shipped suffix must start at a position after its prevEpoch";
    }
    prev = { index: first - 1, epoch: msg.suffixPrevEpoch };
  } else {
    return undefined;
  }
  if (!Array.isArray(entries) || !isCount(msg.epoch)) return `${msg.kind}: entries are not a list`;
  for (const [k, entry] of entries.entries()) {
    const problem = entryProblem(entry, undefined, prev, msg.epoch);
    if (problem !== undefined) return `${msg.kind} entry ${k + 1}: ${problem}`;
    prev = entry as Positioned;
  }
  return undefined;
}

const entryKinds: ReadonlySet<unknown> = new Set(["cmd", "view", "barrier"]);

/**
 * Why a received entry cannot be stored, or undefined: it follows `prev`, its epoch lies
 * between `prev`'s and the sender's, and it has a time and a known kind. With its `json`
 * text, which goes to the WAL as is, what the parsed entry says must also be what the text
 * says: index and epoch written out first, exactly as `{"index":I,"epoch":E` (a duplicate key
 * later in the line, `5.0`, `-0`, spaces or an escaped key all make the two differ). Checks
 * the parsed values against the text's start: no second parse, no re-serialisation.
 */
function entryProblem(
  entry: unknown,
  json: string | undefined,
  prev: Positioned,
  epochMax: number,
): string | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return "not an object";
  const e = entry as Partial<Record<"index" | "epoch" | "ts" | "kind", unknown>>;
  if (e.index !== prev.index + 1) return `index ${String(e.index)} does not follow ${prev.index}`;
  if (!isCount(e.epoch) || e.epoch < prev.epoch || e.epoch > epochMax) {
    return `epoch ${String(e.epoch)} is outside ${prev.epoch}..${epochMax}`;
  }
  if (json !== undefined) {
    const prefix = `{"index":${e.index},"epoch":${e.epoch}`;
    const next = json[prefix.length];
    if (!json.startsWith(prefix) || (next !== "," && next !== "}")) {
      return `the line does not start with ${prefix}`;
    }
  }
  if (typeof e.ts !== "number" || !(e.ts >= 0) || e.ts === Infinity) return "ts is not a time";
  if (!entryKinds.has(e.kind)) return `unknown kind ${String(e.kind)}`;
  return undefined;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
