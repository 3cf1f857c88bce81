import assert from "node:assert/strict";
import { test } from "node:test";
import type { Message } from "../client-port.js";
import type { Outgoing } from "../state/conversations.js";
import { widthOf } from "./text.js";
import {
  layoutViewport,
  scrollThread,
  threadSource,
  type LayoutContext,
  type ThreadLine,
} from "./thread-layout.js";

process.env.TZ = "UTC";
const day = Date.UTC(2026, 10, 24, 9, 0);
const m = (seq: number, text: string, from = "bob", at = day + seq * 60_000): Message => ({
  seq,
  id: `i${seq}`,
  from,
  to: from === "bob" ? "alice" : "bob",
  text,
  sentAtMs: at,
  clientMsgId: `c${seq}`,
});
const ctx: LayoutContext = { width: 40, me: "alice", peer: "bob", markerSeq: undefined };

function show(lines: ThreadLine[]): string[] {
  return lines.map((l) =>
    l.kind === "text" ? `${l.time.padEnd(5)} ${l.nick} ${l.mark} ${l.body}` : l.text
  );
}

test("wraps to the width, measuring emoji and CJK as two columns", () => {
  const text = "你好世界 hello 👋👋👋 and a longer tail of words to wrap";
  const src = threadSource([m(1, text)], []);
  const view = layoutViewport(src, { kind: "bottom" }, 10, ctx);
  for (const line of show(view.lines))
    assert.ok(widthOf(line) <= 40, `too wide: ${line} (${widthOf(line)})`);
  assert.deepEqual(show(view.lines), [
    "─────────── Tue 24 Nov 2026 ────────────",
    "09:01 bob   │ 你好世界 hello 👋👋👋 and",
    "            │ a longer tail of words to",
    "            │ wrap",
  ]);
});

test("a day rule before the first message of each day; the new marker before the first unread", () => {
  const msgs = [
    m(1, "yesterday"),
    m(2, "today", "bob", day + 86_400_000),
    m(3, "again", "alice", day + 86_400_000 + 1),
  ];
  const view = layoutViewport(threadSource(msgs, []), { kind: "bottom" }, 10, {
    ...ctx,
    markerSeq: 2,
  });
  assert.deepEqual(show(view.lines), [
    "─────────── Tue 24 Nov 2026 ────────────",
    "09:01 bob   │ yesterday",
    "─────────── Wed 25 Nov 2026 ────────────",
    "───────────────── new ──────────────────",
    "09:00 bob   │ today",
    "09:00 alice │ again",
  ]);
});

test("pending and failed sends are marked, with a retry note", () => {
  const out = (id: string, status: "pending" | "failed"): Outgoing => ({
    clientMsgId: id,
    to: "bob",
    text: `${status} text`,
    status,
    error: status === "failed" ? "cluster unavailable" : undefined,
    retryable: true,
    createdAtMs: day + 5 * 60_000,
  });
  const view = layoutViewport(
    threadSource([m(1, "hi")], [out("a", "pending"), out("b", "failed")]),
    { kind: "bottom" },
    10,
    ctx
  );
  assert.deepEqual(show(view.lines).slice(2), [
    "09:05 alice … pending text",
    "09:05 alice ! failed text",
    "! not sent (cluster unavailable) — r or ctrl+r to retry",
  ]);
});

test("scrolling: up a page anchors, new messages below do not move the reader, End returns", () => {
  const msgs = Array.from({ length: 50 }, (_, i) => m(i + 1, `message ${i + 1}`));
  let src = threadSource(msgs, []);
  const up = scrollThread(src, { kind: "bottom" }, { kind: "lines", delta: -9 }, 10, ctx);
  assert.equal(up.kind, "anchor");
  const before = show(layoutViewport(src, up, 10, ctx).lines);
  assert.equal(before[0], "09:32 bob   │ message 32");
  src = threadSource([...msgs, m(51, "new one")], []);
  const after = layoutViewport(src, up, 10, ctx);
  assert.deepEqual(show(after.lines), before);
  assert.equal(after.atBottom, false);
  assert.deepEqual(scrollThread(src, up, { kind: "bottom" }, 10, ctx), { kind: "bottom" });
  const top = scrollThread(src, up, { kind: "top" }, 10, ctx);
  assert.equal(layoutViewport(src, top, 10, ctx).atTop, true);
  assert.deepEqual(scrollThread(src, top, { kind: "lines", delta: 1000 }, 10, ctx), {
    kind: "bottom",
  });
});

test("100,000 messages: a frame and a page scroll stay fast (only visible items are wrapped)", () => {
  const msgs = Array.from({ length: 100_000 }, (_, i) =>
    m(i + 1, `message number ${i + 1} with some words`)
  );
  const started = performance.now();
  const src = threadSource(msgs, []);
  let scroll = layoutViewport(src, { kind: "bottom" }, 40, ctx) && ({ kind: "bottom" } as const);
  let s: ReturnType<typeof scrollThread> = scroll;
  for (let i = 0; i < 20; i += 1) s = scrollThread(src, s, { kind: "lines", delta: -39 }, 40, ctx);
  const view = layoutViewport(src, s, 40, ctx);
  const top = scrollThread(src, s, { kind: "top" }, 40, ctx);
  layoutViewport(src, top, 40, ctx);
  const elapsed = performance.now() - started;
  assert.equal(view.lines.length, 40);
  assert.ok(elapsed < 500, `took ${elapsed} ms`);
});
