// NodeStorage snapshots: format 3 round trip (a cluster of one restores before it opens, a
// replica behind it; messages stay unparsed until read), format-1 and format-2 snapshots of
// older nodes still load, a damaged snapshot found while a replica restores it is set aside
// and refused, and a snapshot file streamed from another node's storage installs (any
// format) and survives a restart. S4: a log damaged before its last intact batch marker
// reports the fault and is repaired by the core's truncation.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  applyCommand, captureSnapshot, chunkedHeader, createState, history, snapshotChunks, stateDigest,
  type ChatState, type Command, type SnapshotChunk,
} from "@chat-tui/chat-state";
import { RawRecord, SnapshotStore, StorageFaultedError } from "@chat-tui/storage";
import { quietLogger } from "../logger.js";
import { NodeStorage, type StoredEntry } from "./node-storage.js";

/** Streams `from`'s snapshot at `index` into `to` (as a transfer would) and installs it. */
async function transfer(from: NodeStorage, to: NodeStorage, index: number, epoch: number):
  Promise<void> {
  const source = await from.snapshotSource(index);
  assert.ok(source !== undefined, "the sender's current snapshot");
  const receiver = await to.receiveSnapshot({ index, epoch });
  for await (const chunk of source.chunks(4_096)) {
    assert.equal(await receiver.write(chunk), undefined);
  }
  const received = await receiver.finish();
  assert.ok(typeof received !== "string", String(received));
  await to.install(received, false);
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), "node-storage-"));
  try {
    await run(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Commands: two accounts and `sends` messages between them. */
function commands(sends: number): Command[] {
  const list: Command[] = [
    { kind: "register", requestId: "r-a", username: "alice", passwordHash: "h:a", tokenHash: "t:a" },
    { kind: "register", requestId: "r-b", username: "bob", passwordHash: "h:b", tokenHash: "t:b" },
  ];
  for (let i = 0; i < sends; i++) {
    list.push({ kind: "send", requestId: `s-${i}`, tokenHash: i % 2 ? "t:a" : "t:b", to: i % 2 ? "bob" : "alice",
      text: `message ${i}`, clientMsgId: `c-${i}`, messageId: `m-${i}`, sentAtMs: 1_000 + i });
  }
  return list;
}

const entriesOf = (list: Command[]): StoredEntry[] =>
  list.map((payload, i) => ({ index: i + 1, epoch: 1, ts: 10 + i, kind: "cmd", payload }));

function stateOf(entries: StoredEntry[]): ChatState {
  const state = createState();
  for (const e of entries) applyCommand(state, e.payload as Command, { index: e.index, ts: e.ts });
  return state;
}

const open = (dir: string, applyLog: boolean) =>
  NodeStorage.open(dir, { clusterId: "test", nodeId: 0, log: quietLogger(), applyLog });

/** A data dir with a format-3 snapshot at `entries.length` (and the entries in its log). */
async function withSnapshot(dir: string, entries: StoredEntry[]): Promise<void> {
  const storage = await open(dir, true);
  await storage.append(entries);
  for (const e of entries) storage.apply(e as never);
  const last = entries.at(-1)!;
  assert.equal(await storage.snapshot(last.index, last.epoch, last.ts, { note: "replication" }), true);
  await storage.close();
}

/**
 * A data dir with a format-1 snapshot (the older node's: header and messages, no chunks) of 50
 * commands; `installed`: logStart = index + 1, so an empty log chains from it.
 */
async function withFormat1Snapshot(dir: string, installed: boolean): Promise<{ state: ChatState; index: number }> {
  const entries = entriesOf(commands(50));
  const state = stateOf(entries);
  const capture = captureSnapshot(state);
  const store = await SnapshotStore.open(dir);
  const last = entries.at(-1)!;
  const header = { chat: capture.header, lastTs: last.ts };
  await store.write({ index: last.index, epoch: 1, header, installed }, [[...capture.messages]]);
  return { state, index: last.index };
}

/** A cluster of one (restores before it opens) and a replica (behind it) both reach `state`. */
async function assertRestoresTo(dir: string, state: ChatState): Promise<void> {
  for (const applyLog of [true, false]) {
    const storage = await open(dir, applyLog);
    await storage.stateReady;
    assert.equal(stateDigest(storage.state), stateDigest(state));
    await storage.close();
  }
}

describe("NodeStorage snapshots", () => {
  it("format 2: a cluster of one opens restored; a replica restores behind and says when", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(5_000));
      await withSnapshot(dir, entries);
      const expected = stateDigest(stateOf(entries));
      const single = await open(dir, true);
      assert.equal(single.stateLoaded, true);
      assert.equal(stateDigest(single.state), expected);
      await single.close();
      const replica = await open(dir, false);
      assert.equal(replica.stateLoaded, false, "a replica opens before its state is restored");
      assert.deepEqual(replica.recovered?.snapshotExtra?.replication, { note: "replication" });
      await replica.stateReady;
      assert.equal(replica.stateLoaded, true);
      assert.equal(stateDigest(replica.state), expected);
      await replica.close();
    }));

  it("a snapshot of a restored state writes its unparsed message chunks as they were read", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(4_500));
      await withSnapshot(dir, entries);
      const snapDir = path.join(dir, "snap");
      const messageLines = async (): Promise<string[]> => {
        const [file] = (await fs.readdir(snapDir)).filter((f) => !f.startsWith("MANIFEST")).sort().reverse();
        const text = await fs.readFile(path.join(snapDir, file!), "utf8");
        return text.split("\n").filter((line) => line.startsWith('{"t":"messages"'));
      };
      const before = await messageLines();
      assert.equal(before.length, 3, "chunks of 2,000, 2,000 and 500 messages");
      // A replica restores the chunks unparsed, applies more and snapshots again.
      const storage = await open(dir, false);
      await storage.stateReady;
      const more = entriesOf(commands(4_600)).slice(entries.length);
      await storage.append(more);
      for (const e of more) storage.apply(e as never);
      const last = more.at(-1)!;
      // Counted: how many restored chunks are parsed to write the snapshot (only the partial
      // last one, which new messages follow; the two full ones are copied as bytes).
      const parse = RawRecord.prototype.parse;
      let parsed = 0;
      RawRecord.prototype.parse = function (this: RawRecord) {
        parsed += 1;
        return parse.call(this);
      };
      try {
        assert.equal(await storage.snapshot(last.index, last.epoch, last.ts, { note: "again" }), true);
      } finally {
        RawRecord.prototype.parse = parse;
      }
      assert.equal(parsed, 1, "only the partial last chunk is parsed");
      await storage.close();
      const after = await messageLines();
      assert.equal(after.length, 3);
      assert.deepEqual(after.slice(0, 2), before.slice(0, 2), "the two full chunks, byte for byte");
      assert.notEqual(after[2], before[2], "the last chunk grew: written anew");
      await assertRestoresTo(dir, stateOf([...entries, ...more]));
    }));

  it("reads a format-1 snapshot written by an older node", () =>
    withDir(async (dir) => {
      const { state } = await withFormat1Snapshot(dir, true);
      await assertRestoresTo(dir, state);
    }));

  it("reads a format-2 snapshot written by an older node (indexes rebuilt from the messages)", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(4_100));
      const state = stateOf(entries);
      const capture = captureSnapshot(state);
      const { conversations: _none, ...counts } = chunkedHeader(capture).counts;
      const chat = { ...chunkedHeader(capture), format: 2, counts };
      const format3 = [...snapshotChunks(capture)].filter((c) => c.t !== "conversations");
      const chunks = format3.map((c): unknown =>
        c.t === "messages" ? { t: c.t, from: c.from, rows: c.rows }
          : c.t === "sendKeys" ? { t: c.t, rows: c.rows.map((r) => [r[0], r[2], r[3]]) } : c);
      const last = entries.at(-1)!;
      const store = await SnapshotStore.open(dir);
      const header = { chat, lastTs: last.ts };
      const index = last.index;
      await store.write({ index, epoch: 1, header, installed: true }, chunks.map((c) => [c]));
      await assertRestoresTo(dir, state);
    }));

  it("restores format 3 with its messages unparsed; reads give the original messages", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(4_100));
      await withSnapshot(dir, entries);
      const state = stateOf(entries);
      const snapDir = path.join(dir, "snap");
      const name = (await fs.readdir(snapDir)).find((n) => n.startsWith("snap-"))!;
      const text = await fs.readFile(path.join(snapDir, name), "utf8");
      assert.match(text, /\n\{"t":"messages","from":4001,"n":100,"rows":/);
      const replica = await open(dir, false);
      await replica.stateReady;
      const page = { peer: "bob", limit: 500, beforeSeq: 2_100 };
      assert.deepEqual(history(replica.state, "alice", page), history(state, "alice", page));
      assert.deepEqual(replica.state.messages.at(4_100), state.messages.at(4_100));
      assert.equal(stateDigest(replica.state), stateDigest(state));
      await replica.close();
    }));

  it("a replica refuses a snapshot found damaged while restoring and sets it aside", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(3_000));
      await withSnapshot(dir, entries);
      const snapDir = path.join(dir, "snap");
      const name = (await fs.readdir(snapDir)).find((n) => n.startsWith("snap-"))!;
      const text = await fs.readFile(path.join(snapDir, name), "utf8");
      const at = text.indexOf("message 2500");
      await fs.writeFile(path.join(snapDir, name), `${text.slice(0, at)}MESSAGE${text.slice(at + 7)}`);
      const replica = await open(dir, false);
      await assert.rejects(replica.stateReady, StorageFaultedError);
      assert.ok((await fs.readdir(snapDir)).includes(`${name}.broken`));
      await replica.close();
    }));

  it("a snapshot file streamed from another node installs, restores and survives a restart", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(3_000));
      const primaryDir = path.join(dir, "primary");
      await withSnapshot(primaryDir, entries);
      const expected = stateDigest(stateOf(entries));
      const primary = await open(primaryDir, false);
      const backupDir = path.join(dir, "backup");
      const backup = await open(backupDir, false);
      await backup.append(entriesOf(commands(3)).map((e) => ({ ...e, epoch: 0 })) as StoredEntry[]);
      await transfer(primary, backup, entries.length, 1);
      assert.equal(stateDigest(backup.state), expected);
      assert.equal(backup.lastIndex, entries.length, "the log restarts after the snapshot");
      await primary.close();
      await backup.close();
      const snap = path.join(backupDir, "snap");
      assert.ok((await fs.readdir(snap)).every((n) => !n.endsWith(".tmp")), "no temp file left");
      const text = await fs.readFile(path.join(snap, "MANIFEST.json"), "utf8");
      const manifest = JSON.parse(text) as { logStart: number };
      assert.equal(manifest.logStart, entries.length + 1, "installed: logStart = index + 1");
      const reopened = await open(backupDir, false);
      await reopened.stateReady;
      assert.equal(stateDigest(reopened.state), expected);
      assert.equal(reopened.recovered?.snapshotIndex, entries.length);
      assert.deepEqual(reopened.recovered?.snapshotExtra?.replication, { note: "replication" });
      await reopened.close();
    }));

  it("a format-1 snapshot file of an older node installs too", () =>
    withDir(async (dir) => {
      const primaryDir = path.join(dir, "primary");
      const { state, index } = await withFormat1Snapshot(primaryDir, false);
      const primary = await open(primaryDir, false);
      const backup = await open(path.join(dir, "backup"), false);
      await transfer(primary, backup, index, 1);
      assert.equal(stateDigest(backup.state), stateDigest(state));
      await primary.close();
      await backup.close();
    }));
});

describe("NodeStorage S4 repair", () => {
  it("reports a damaged middle record; truncating to the intact prefix repairs the log", () =>
    withDir(async (dir) => {
      const entries = entriesOf(commands(8));
      const first = await open(dir, false);
      for (const e of entries) await first.append([e]); // one batch (and marker) each
      await first.close();
      const walDir = path.join(dir, "wal");
      const segment = path.join(walDir, (await fs.readdir(walDir)).find((n) => n.endsWith(".jsonl"))!);
      const text = await fs.readFile(segment, "utf8");
      const at = text.indexOf("message 3");
      await fs.writeFile(segment, `${text.slice(0, at)}MESSAGE${text.slice(at + 7)}`);

      const faulted = await open(dir, false);
      const fault = faulted.recovered!.fault!;
      assert.equal(fault.firstDamagedIndex, 6, "record 6 (message 3) is damaged");
      assert.equal(fault.lastIndexReached, 10);
      assert.deepEqual(faulted.recovered!.entries.map((e) => e.index), [1, 2, 3, 4, 5]);
      await faulted.truncateAfter(5);
      await faulted.append([{ ...entries[5]!, epoch: 2 }]);
      await faulted.close();

      const repaired = await open(dir, false);
      assert.equal(repaired.recovered!.fault, undefined);
      assert.deepEqual(repaired.recovered!.entries.map((e) => `${e.index}/${e.epoch}`),
        ["1/1", "2/1", "3/1", "4/1", "5/1", "6/2"]);
      assert.ok((await fs.readdir(walDir)).some((n) => n.includes(".corrupt")), "damaged segment set aside");
      await repaired.close();
    }));
});
