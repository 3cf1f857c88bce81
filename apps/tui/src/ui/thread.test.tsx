import assert from "node:assert/strict";
import { test } from "node:test";
import type { Message } from "../client-port.js";
import { emptyConversation, type Conversation } from "../state/conversations.js";
import { renderTui } from "../testing/render.js";
import { matchSnapshot } from "../testing/snapshot.js";
import { Thread } from "./thread.js";

const day = Date.UTC(2026, 10, 24, 22, 58);
const m = (seq: number, from: string, text: string, at: number): Message => ({
  seq,
  id: `i${seq}`,
  from,
  to: from === "bob" ? "alice" : "bob",
  text,
  sentAtMs: at,
  clientMsgId: `c${seq}`,
});
const messages = [
  m(1, "bob", "are you there?", day),
  m(
    2,
    "alice",
    "yes — and this reply is long enough that it has to wrap over more than one line of the pane",
    day + 60_000
  ),
  m(3, "bob", "宽字符和表情 👋🎉 line up", day + 3 * 60_000),
  m(4, "bob", "new day, new message", day + 26 * 3_600_000),
  m(5, "bob", "unread one", day + 27 * 3_600_000),
];

function thread(c: Partial<Conversation>, width = 60, height = 12): string {
  const conversation = { ...emptyConversation("bob"), history: "loaded" as const, messages, ...c };
  const r = renderTui(
    <Thread
      me="alice"
      conversation={conversation}
      outbox={[]}
      online={true}
      focused={false}
      width={width}
      height={height}
      welcome={[]}
    />
  );
  const f = r.frame();
  r.unmount();
  return f;
}

test("thread: wrapping, wide characters, a day separator and the unread marker", () => {
  const f = thread({ markerSeq: 4 });
  matchSnapshot(import.meta.url, "thread-wrap-day-marker", f);
  assert.ok(f.includes("Thu 26 Nov 2026"));
  assert.ok(f.includes("── new ──"));
});

test("thread scrolled up shows the new-messages-below marker", () => {
  const f = thread({ scroll: { kind: "anchor", key: "m:1", lineOffset: 0 }, newBelow: 2 }, 60, 6);
  matchSnapshot(import.meta.url, "thread-new-below", f);
  assert.ok(f.includes("2 new messages below — End"));
  assert.ok(f.includes("scrolled up"));
});

test("thread at 40 columns never overflows its width", () => {
  const f = thread({}, 40, 14);
  for (const line of f.split("\n")) assert.ok([...line].length <= 40, line);
  matchSnapshot(import.meta.url, "thread-narrow", f);
});
