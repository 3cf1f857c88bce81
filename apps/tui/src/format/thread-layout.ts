// Lays a conversation out as display lines, lazily: only the items around the visible window
// are wrapped (and cached by item, width and neighbours), so a 100,000-message thread costs
// a few dozen wraps per frame. Scrolling is expressed against this layout: the reader holds
// (item key, line offset), which survives new messages arriving below and resizes.
import type { Message } from "../client-port.js";
import type { Outgoing, ScrollState } from "../state/conversations.js";
import { fit, rule, sanitize, widthOf, wrapText } from "./text.js";
import { clockTime, dayKey, dayLabel } from "./time.js";

export type ThreadItem =
  | { kind: "message"; key: string; msg: Message }
  | { kind: "outgoing"; key: string; out: Outgoing };

export type ThreadLine =
  | { kind: "rule"; text: string; tone: "day" | "new" }
  | { kind: "text"; time: string; nick: string; own: boolean; mark: string; body: string }
  | { kind: "note"; text: string };

export interface ThreadSource {
  count: number;
  at(i: number): ThreadItem;
  indexOf(key: string): number;
}

export interface LayoutContext {
  width: number;
  me: string;
  peer: string;
  markerSeq: number | undefined;
}

export const messageKey = (seq: number): string => `m:${seq}`;
export const outgoingKey = (id: string): string => `o:${id}`;

export function threadSource(
  messages: readonly Message[],
  outbox: readonly Outgoing[]
): ThreadSource {
  const m = messages.length;
  return {
    count: m + outbox.length,
    at(i) {
      if (i < m) {
        const msg = messages[i] as Message;
        return { kind: "message", key: messageKey(msg.seq), msg };
      }
      const out = outbox[i - m] as Outgoing;
      return { kind: "outgoing", key: outgoingKey(out.clientMsgId), out };
    },
    indexOf(key) {
      if (key.startsWith("o:")) {
        const j = outbox.findIndex((o) => outgoingKey(o.clientMsgId) === key);
        return j < 0 ? -1 : m + j;
      }
      const seq = Number(key.slice(2));
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((messages[mid]?.seq ?? 0) < seq) lo = mid + 1;
        else hi = mid;
      }
      return messages[lo]?.seq === seq ? lo : -1;
    },
  };
}

const timeOf = (it: ThreadItem): number =>
  it.kind === "message" ? it.msg.sentAtMs : it.out.createdAtMs;

export function nickWidth(ctx: LayoutContext): number {
  return Math.min(12, Math.max(3, widthOf(ctx.me), widthOf(ctx.peer)));
}

const cache = new Map<string, ThreadLine[]>();
const cacheEntriesMax = 20_000;

/** The display lines of item `i`: an optional day rule and "new" rule, then the wrapped text. */
export function blockOf(src: ThreadSource, i: number, ctx: LayoutContext): ThreadLine[] {
  const it = src.at(i);
  const prev = i > 0 ? src.at(i - 1) : undefined;
  const newDay = prev === undefined || dayKey(timeOf(prev)) !== dayKey(timeOf(it));
  const marker = it.kind === "message" && it.msg.seq === ctx.markerSeq;
  const status = it.kind === "outgoing" ? `${it.out.status}:${it.out.error ?? ""}` : "";
  const text =
    it.kind === "message" ? `${it.msg.from}|${it.msg.sentAtMs}|${it.msg.text}` : it.out.text;
  const id = `${it.key}|${ctx.width}|${ctx.me}|${ctx.peer}|${newDay}|${marker}|${status}|${text}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const lines = buildBlock(it, newDay, marker, ctx);
  if (cache.size >= cacheEntriesMax) cache.clear();
  cache.set(id, lines);
  return lines;
}

function buildBlock(
  it: ThreadItem,
  newDay: boolean,
  marker: boolean,
  ctx: LayoutContext
): ThreadLine[] {
  const lines: ThreadLine[] = [];
  const t = timeOf(it);
  if (newDay) lines.push({ kind: "rule", text: rule(dayLabel(t), ctx.width), tone: "day" });
  if (marker) lines.push({ kind: "rule", text: rule("new", ctx.width), tone: "new" });
  const nw = nickWidth(ctx);
  const bodyWidth = Math.max(4, ctx.width - 5 - 1 - nw - 3);
  const from = it.kind === "message" ? it.msg.from : ctx.me;
  const text = sanitize(it.kind === "message" ? it.msg.text : it.out.text);
  const mark = it.kind === "message" ? "│" : it.out.status === "pending" ? "…" : "!";
  wrapText(text, bodyWidth).forEach((body, n) => {
    lines.push({
      kind: "text",
      time: n === 0 ? clockTime(t) : "",
      nick: n === 0 ? fit(from, nw) : " ".repeat(nw),
      own: from === ctx.me,
      mark: n === 0 ? mark : "│",
      body,
    });
  });
  if (it.kind === "outgoing" && it.out.status === "failed") {
    const why = it.out.error ?? "failed";
    lines.push({ kind: "note", text: `! not sent (${why}) — r or ctrl+r to retry` });
  }
  return lines;
}

export interface Viewport {
  lines: ThreadLine[];
  atBottom: boolean;
  atTop: boolean;
}

/** The lines from (index, offset) forward, at most `max`; `end` says the thread ran out. */
function linesFrom(src: ThreadSource, i: number, off: number, max: number, ctx: LayoutContext) {
  const lines: ThreadLine[] = [];
  let idx = i;
  let o = off;
  while (idx < src.count && lines.length < max) {
    const b = blockOf(src, idx, ctx);
    for (let k = o; k < b.length && lines.length < max; k += 1) lines.push(b[k] as ThreadLine);
    idx += 1;
    o = 0;
  }
  return lines;
}

/** Position of the first visible line when following the bottom. */
function bottomTop(
  src: ThreadSource,
  height: number,
  ctx: LayoutContext
): { i: number; off: number } {
  let need = height;
  for (let i = src.count - 1; i >= 0; i -= 1) {
    const len = blockOf(src, i, ctx).length;
    if (len >= need) return { i, off: len - need };
    need -= len;
  }
  return { i: 0, off: 0 };
}

/** True when no more than `height` lines remain from (i, off) to the end. */
function fitsFrom(
  src: ThreadSource,
  i: number,
  off: number,
  height: number,
  ctx: LayoutContext
): boolean {
  let remaining = -off;
  for (let k = i; k < src.count; k += 1) {
    remaining += blockOf(src, k, ctx).length;
    if (remaining > height) return false;
  }
  return true;
}

function resolveTop(src: ThreadSource, scroll: ScrollState, height: number, ctx: LayoutContext) {
  if (scroll.kind === "anchor") {
    const i = src.indexOf(scroll.key);
    if (i >= 0 && !fitsFrom(src, i, scroll.lineOffset, height, ctx)) {
      const len = blockOf(src, i, ctx).length;
      return { i, off: Math.min(scroll.lineOffset, len - 1), bottom: false };
    }
  }
  return { ...bottomTop(src, height, ctx), bottom: true };
}

export function layoutViewport(
  src: ThreadSource,
  scroll: ScrollState,
  height: number,
  ctx: LayoutContext
): Viewport {
  if (src.count === 0 || height <= 0) return { lines: [], atBottom: true, atTop: true };
  const top = resolveTop(src, scroll, height, ctx);
  const lines = linesFrom(src, top.i, top.off, height, ctx);
  return { lines, atBottom: top.bottom, atTop: top.i === 0 && top.off === 0 };
}

export type ScrollMove = { kind: "lines"; delta: number } | { kind: "top" } | { kind: "bottom" };

/** The scroll state after a move; reaching the end returns to following the bottom. */
export function scrollThread(
  src: ThreadSource,
  scroll: ScrollState,
  move: ScrollMove,
  height: number,
  ctx: LayoutContext
): ScrollState {
  if (move.kind === "bottom" || src.count === 0) return { kind: "bottom" };
  let i = 0;
  let off = 0;
  if (move.kind === "lines") {
    const top = resolveTop(src, scroll, height, ctx);
    i = top.i;
    off = top.off + move.delta;
    while (off < 0 && i > 0) {
      i -= 1;
      off += blockOf(src, i, ctx).length;
    }
    if (off < 0) off = 0;
    while (i < src.count && off >= blockOf(src, i, ctx).length) {
      off -= blockOf(src, i, ctx).length;
      i += 1;
    }
    if (i >= src.count) return { kind: "bottom" };
  }
  if (fitsFrom(src, i, off, height, ctx)) return { kind: "bottom" };
  return { kind: "anchor", key: src.at(i).key, lineOffset: off };
}
