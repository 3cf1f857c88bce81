// Entries are serialised once: the text a primary sends is the text a backup stores, an
// append's entry lines survive any text inside them, and other messages stay plain JSON.
// A line whose text says something other than its parsed fields is refused at decode (the
// node drops the message) instead of reaching the WAL, which would fail the node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Message } from "@chat-tui/replication";
import { CommitLog } from "@chat-tui/storage";
import fc from "fast-check";
import { decodeMessage, encodeMessage, entryJson, forgetEntryJson } from "../src/node/entry-json.js";

const header = { from: 1, storageId: "d1", incarnation: "i1", session: "s1", epoch: 2,
  viewId: { epoch: 2, index: 1 }, status: "primary" as const };

test("an append's entries arrive with the exact text they were sent in", () => {
  const entries = [
    { index: 5, epoch: 2, ts: 7, kind: "cmd", payload: { text: "two\nlines \u2028 {\"index\":1}" } },
    { kind: "barrier", index: 6, epoch: 2, ts: 7 }, // position not first: reordered once
  ];
  const msg = { ...header, kind: "append", prevIndex: 4, prevEpoch: 2, entries, commit: 3, round: 1 };
  const decoded = decodeMessage(encodeMessage(msg as unknown as Message));
  assert.deepEqual(decoded, msg);
  const received = (decoded as unknown as { entries: typeof entries }).entries;
  for (let k = 0; k < entries.length; k++) {
    const sent = entryJson(entries[k]!);
    assert.ok(sent.startsWith(`{"index":${entries[k]!.index},"epoch":2,`));
    assert.equal(entryJson(received[k]!), sent);
  }
});

test("an applied entry's forgotten text is made again, the same as the text it came in", () => {
  fc.assert(fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (payload, text) => {
    const entry = { index: 3, epoch: 1, ts: 2, kind: "cmd", payload: { payload, text } };
    const msg = { ...header, kind: "append", prevIndex: 2, prevEpoch: 1, entries: [entry], commit: 2, round: 1 };
    const received = (decodeMessage(encodeMessage(msg as unknown as Message)) as unknown as
      { entries: (typeof entry)[] }).entries[0]!;
    const sent = entryJson(received);
    forgetEntryJson(received);
    forgetEntryJson(entry);
    assert.equal(entryJson(received), sent);
    assert.equal(entryJson(entry), sent);
  }), { numRuns: 300 });
});

test("the same append to each backup is encoded once; any difference encodes anew", () => {
  const entries = [{ index: 5, epoch: 2, ts: 7, kind: "barrier" }, { index: 6, epoch: 2, ts: 8, kind: "barrier" }];
  const append = (over: object) => ({ ...header, kind: "append", prevIndex: 4, prevEpoch: 2, entries: entries.slice(),
    commit: 3, round: 1, ...over }) as unknown as Message;
  const first = encodeMessage(append({}));
  assert.deepEqual(decodeMessage(first), append({}));
  assert.equal(encodeMessage(append({})), first, "a copy of the same batch: the same bytes");
  const others = [
    append({ commit: 4 }),
    append({ entries: entries.slice(0, 1) }),
    append({ entries: [entries[0], { ...entries[1] }] }), // equal fields, another entry object
    { ...header, kind: "ping", nonce: "n", pauseEpoch: 0 } as unknown as Message,
  ];
  for (const msg of others) {
    const bytes = encodeMessage(msg);
    assert.notEqual(bytes, first);
    assert.deepEqual(decodeMessage(bytes), msg);
  }
});

test("messages without entries are plain JSON", () => {
  for (const msg of [{ ...header, kind: "ping", nonce: "n", pauseEpoch: 0 },
    { ...header, kind: "append", prevIndex: 4, prevEpoch: 2, entries: [], commit: 3, round: 1 }]) {
    const bytes = encodeMessage(msg as unknown as Message);
    assert.deepEqual(JSON.parse(bytes.toString()), msg);
    assert.deepEqual(decodeMessage(bytes), msg);
  }
});

test("entry lines on anything but an append are refused", () => {
  const text = `${JSON.stringify({ ...header, kind: "ping", entries: [] })}\n{"index":1,"epoch":1}`;
  assert.throws(() => decodeMessage(Buffer.from(text)), /only an append/);
});

/** An append of `lines` (raw entry texts) after index 0, as a peer could send it. */
function rawAppend(lines: readonly string[]): Buffer {
  const head = JSON.stringify({ ...header, kind: "append", prevIndex: 0, prevEpoch: 0,
    entries: [], commit: 0, round: 1 });
  return Buffer.from([head, ...lines].join("\n"));
}

const barrier = (index: number, epoch: number): string =>
  `{"index":${index},"epoch":${epoch},"ts":1,"kind":"barrier"}`;

const crafted: Record<string, string[]> = {
  "a later duplicate index": ['{"index":1,"epoch":2,"ts":1,"kind":"barrier","index":7}'],
  "a later duplicate epoch": ['{"index":1,"epoch":2,"ts":1,"kind":"barrier","epoch":1}'],
  "an index written 1.0": ['{"index":1.0,"epoch":2,"ts":1,"kind":"barrier"}'],
  "an escaped key": ['{"\\u0069ndex":1,"epoch":2,"ts":1,"kind":"barrier"}'],
  "a space in the prefix": ['{"index": 1,"epoch":2,"ts":1,"kind":"barrier"}'],
  "an index in quotes": ['{"index":"1","epoch":2,"ts":1,"kind":"barrier"}'],
  "a gap": [barrier(1, 2), barrier(3, 2)],
  "an epoch above the sender's": [barrier(1, 3)],
  "a falling epoch": [barrier(1, 2), barrier(2, 1)],
  "no ts": ['{"index":1,"epoch":2,"kind":"barrier"}'],
  "an unknown kind": ['{"index":1,"epoch":2,"ts":1,"kind":"reboot"}'],
  "an array": ['[1,2]'],
  "a line over the log's record limit": [`{"index":1,"epoch":2,"ts":1,"kind":"cmd","payload":"${"x".repeat(1 << 20)}"}`],
};

test("an entry line the log would refuse is refused at decode, never at the WAL", async () => {
  const dir = await mkdtemp(join(tmpdir(), "entry-json-"));
  try {
    const good = ['{"index":1,"epoch":2,"ts":1,"kind":"barrier","members":[]}',
      '{"index":2,"epoch":2,"ts":3,"kind":"cmd","payload":{"text":"{\\"index\\":9}"}}'];
    for (const [name, lines] of [["well-formed", good] as const, ...Object.entries(crafted)]) {
      let entries: readonly { index: number; epoch: number }[];
      try {
        entries = (decodeMessage(rawAppend(lines)) as { entries: typeof entries }).entries;
      } catch {
        assert.notEqual(name, "well-formed", "a well-formed append decodes");
        continue;
      }
      // What decode lets through must be storable as it came (node-storage.ts appends it raw).
      const { log } = await CommitLog.open(join(dir, name.replace(/\W/g, "-")));
      try {
        await log.appendRaw(entries.map((e) => ({ ...e, json: entryJson(e) })));
      } catch (err) {
        assert.fail(`${name}: decoded, then the log refused it: ${String(err)}`);
      } finally {
        await log.close().catch(() => undefined);
      }
      assert.equal(name, "well-formed", `${name} must be refused`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("inline entries (an append without entry lines, a shipped suffix) are checked alike", async () => {
  const append = (entries: unknown[]) => ({ ...header, kind: "append", prevIndex: 0, prevEpoch: 0,
    entries, commit: 0, round: 1 });
  const voteReply = (suffix: unknown[]) => ({ ...header, kind: "vote-reply", candidateEpoch: 2,
    nonce: "n", granted: false, reason: "ship", suffix, suffixPrevEpoch: 1 });
  const at = (index: unknown, epoch: unknown) => ({ index, epoch, ts: 1, kind: "barrier" });
  const good = [append([at(1, 2), at(2, 2)]), voteReply([at(7, 1), at(8, 2)])];
  const bad = {
    "an index in quotes": append([at("1", 2)]),
    "a gap": append([at(1, 2), at(3, 2)]),
    "an epoch above the sender's": append([at(1, 3)]),
    "entries that are not a list": append({ 0: at(1, 2) } as unknown as unknown[]),
    "a suffix with a gap": voteReply([at(7, 1), at(9, 1)]),
    "a suffix below its prevEpoch": voteReply([at(7, 0)]),
    "a suffix from index 0": voteReply([at(0, 1)]),
    "a suffix without prevEpoch": { ...voteReply([at(7, 1)]), suffixPrevEpoch: undefined },
  };
  for (const msg of good) {
    assert.deepEqual(decodeMessage(Buffer.from(JSON.stringify(msg))), msg);
  }
  for (const [name, msg] of Object.entries(bad)) {
    assert.throws(() => decodeMessage(Buffer.from(JSON.stringify(msg))), Error, name);
  }
  // What passes is stored re-serialised, and the log takes it.
  const dir = await mkdtemp(join(tmpdir(), "entry-json-inline-"));
  try {
    const { log } = await CommitLog.open(dir);
    const decoded = decodeMessage(Buffer.from(JSON.stringify(good[0])));
    const { entries } = decoded as unknown as { entries: { index: number; epoch: number }[] };
    await log.appendRaw(entries.map((e) => ({ ...e, json: entryJson(e) })));
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
