// SnapshotCatchUp between two real NodeStorages: the sender streams its snapshot file once per
// peer however often the core asks; the receiver writes parts to a temp file, verifies it and
// only then hands the core an install whose data is that file — a damaged, cut-short,
// mismatched or unwanted transfer never reaches an install and leaves no file behind.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { applyCommand, createState, stateDigest, type Command } from "@chat-tui/chat-state";
import type { Message as CoreMessage, SnapshotMeta } from "@chat-tui/replication";
import { quietLogger } from "../logger.js";
import { snapshotTransfersInMax } from "../limits.js";
import { NodeStorage, type StoredEntry } from "./node-storage.js";
import { SnapshotCatchUp, type CatchUpHost } from "./snapshot-catch-up.js";

const view = { id: { epoch: 1, index: 1 }, members: [] };
const meta = { index: 402, epoch: 1, ts: 411, view } as SnapshotMeta;

function entries(): StoredEntry[] {
  const list: Command[] = [
    { kind: "register", requestId: "r-a", username: "alice", passwordHash: "h", tokenHash: "t:a" },
    { kind: "register", requestId: "r-b", username: "bob", passwordHash: "h", tokenHash: "t:b" },
  ];
  for (let i = 0; i < 400; i++) {
    list.push({ kind: "send", requestId: `s-${i}`, tokenHash: "t:a", to: "bob",
      text: `message ${i}`, clientMsgId: `c-${i}`, messageId: `m-${i}`, sentAtMs: 1_000 + i });
  }
  return list.map((payload, i) => ({ index: i + 1, epoch: 1, ts: 10 + i, kind: "cmd", payload }));
}

const open = (dir: string, applyLog: boolean) =>
  NodeStorage.open(dir, { clusterId: "test", nodeId: 0, log: quietLogger(), applyLog });

interface World {
  primary: NodeStorage;
  backup: NodeStorage;
  snapDir: string;
  /** The primary's snapshot file, as parts. */
  parts: Buffer[];
  install: CoreMessage;
  delivered: CoreMessage[];
  catchUp(onDeliver?: (msg: CoreMessage, c: SnapshotCatchUp) => void): SnapshotCatchUp;
}

async function withWorld(run: (w: World) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), "catch-up-"));
  const primary = await open(path.join(dir, "p"), true);
  const log = entries();
  await primary.append(log);
  for (const e of log) primary.apply(e as never);
  assert.ok(await primary.snapshot(402, 1, 411, meta));
  const backup = await open(path.join(dir, "b"), false);
  const source = (await primary.snapshotSource(402))!;
  const parts: Buffer[] = [];
  for await (const chunk of source.chunks(2_048)) parts.push(Buffer.from(chunk));
  const delivered: CoreMessage[] = [];
  const install = { kind: "install-snapshot", from: 1, epoch: 1, snapshot: meta, commit: 402 };
  const catchUp = (onDeliver?: (msg: CoreMessage, c: SnapshotCatchUp) => void): SnapshotCatchUp => {
    const host: CatchUpHost = {
      storage: backup, log: quietLogger(), partBytes: 2_048, isPeer: (id) => id === 1,
      sendFile: async () => false,
      deliver: (_from, msg) => {
        delivered.push(msg);
        onDeliver?.(msg, c);
      },
      storageFailed: (err) => {
        throw err;
      },
    };
    const c = new SnapshotCatchUp(host);
    return c;
  };
  try {
    const snapDir = path.join(dir, "b", "snap");
    const message = install as CoreMessage;
    await run({ primary, backup, snapDir, parts, install: message, delivered, catchUp });
  } finally {
    await primary.close();
    await backup.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const header = (msg: CoreMessage) => Buffer.from(JSON.stringify(msg));
const files = async (dir: string) => (await fs.readdir(dir)).filter((n) => n !== "MANIFEST.json");

describe("SnapshotCatchUp receiving", () => {
  it("parts → temp file → verified → the core's install gets the file and installs it", () =>
    withWorld(async (w) => {
      let installed: Promise<void> | undefined;
      const c = w.catchUp((msg, self) => {
        installed = w.backup.install(self.claim((msg as { data?: unknown }).data), false);
      });
      const sink = (await c.inbox(1, header(w.install)))!;
      assert.ok(w.parts.length > 10, "many parts");
      for (const part of w.parts) assert.equal(await sink.write(part), undefined);
      assert.equal((await files(w.snapDir)).length, 1, "one temp file so far");
      await sink.end();
      assert.equal(w.delivered.length, 1);
      await installed;
      const state = createState();
      for (const e of entries()) {
        applyCommand(state, e.payload as Command, { index: e.index, ts: e.ts });
      }
      assert.equal(stateDigest(w.backup.state), stateDigest(state));
      assert.deepEqual(await files(w.snapDir), ["snap-0000000000000001-0000000000000402.jsonl"]);
    }));

  it("a file the core does not install is removed", () =>
    withWorld(async (w) => {
      const sink = (await w.catchUp().inbox(1, header(w.install)))!;
      for (const part of w.parts) await sink.write(part);
      await sink.end();
      assert.equal(w.delivered.length, 1);
      assert.deepEqual(await files(w.snapDir), []);
    }));

  it("damaged bytes: verification fails, nothing reaches the core, nothing is left", () =>
    withWorld(async (w) => {
      const sink = (await w.catchUp().inbox(1, header(w.install)))!;
      const damaged = w.parts.map((p) => Buffer.from(p));
      damaged[5]![100] = damaged[5]![100]! ^ 0x20;
      for (const part of damaged) await sink.write(part);
      await sink.end();
      assert.equal(w.delivered.length, 0);
      assert.deepEqual(await files(w.snapDir), []);
    }));

  it("a stream broken mid-transfer: the temp file goes, the slot is freed", () =>
    withWorld(async (w) => {
      const c = w.catchUp();
      for (let round = 0; round < snapshotTransfersInMax + 1; round++) {
        const sink = (await c.inbox(1, header(w.install)))!;
        assert.ok(sink !== undefined, `transfer ${round} accepted`);
        await sink.write(w.parts[0]!);
        await sink.abort("the stream broke mid-transfer");
        assert.deepEqual(await files(w.snapDir), []);
      }
      assert.equal(w.delivered.length, 0);
    }));

  it("refuses transfers past the limit, from strangers, and of other messages", () =>
    withWorld(async (w) => {
      const c = w.catchUp();
      const open = [];
      for (let i = 0; i < snapshotTransfersInMax; i++) {
        open.push(await c.inbox(1, header(w.install)));
      }
      assert.ok(open.every((s) => s !== undefined));
      assert.equal(await c.inbox(1, header(w.install)), undefined, "too many at once");
      for (const sink of open) await sink!.abort("test");
      const stranger = { ...w.install, from: 2 } as CoreMessage;
      assert.equal(await c.inbox(2, header(stranger)), undefined, "not a peer");
      const ping = { ...w.install, kind: "ping" } as CoreMessage;
      assert.equal(await c.inbox(1, header(ping)), undefined, "not an install");
      assert.equal(await c.inbox(1, Buffer.from("{not json")), undefined);
      assert.deepEqual(await files(w.snapDir), []);
    }));

  it("a file at the announced position but with other metadata is dropped", () =>
    withWorld(async (w) => {
      const other = { ...w.install, snapshot: { ...meta, ts: 999 } } as CoreMessage;
      const sink = (await w.catchUp().inbox(1, header(other)))!;
      for (const part of w.parts) await sink.write(part);
      await sink.end();
      assert.equal(w.delivered.length, 0);
      assert.deepEqual(await files(w.snapDir), []);
    }));
});

describe("SnapshotCatchUp sending", () => {
  it("streams the file once per peer however often the core asks; only the current one", () =>
    withWorld(async (w) => {
      const sent: { to: number; begin: string; bytes: number }[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const c = new SnapshotCatchUp({
        storage: w.primary, log: quietLogger(), partBytes: 4_096, isPeer: () => true,
        deliver: () => undefined, storageFailed: (err) => {
          throw err;
        },
        sendFile: async (to, begin, chunks) => {
          let bytes = 0;
          await gate;
          for await (const chunk of chunks) {
            assert.ok(chunk.length <= 4_096);
            bytes += chunk.length;
          }
          sent.push({ to, begin: Buffer.from(begin).toString(), bytes });
          return true;
        },
      });
      const msg = { ...w.install, from: 0 } as CoreMessage;
      const first = c.send(2, msg);
      await new Promise((r) => setTimeout(r, 20));
      await c.send(2, msg); // asked again while the first is under way
      release();
      await first;
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.bytes, w.parts.reduce((n, p) => n + p.length, 0));
      const begin = JSON.parse(sent[0]!.begin) as { data?: unknown };
      assert.equal(begin.data, undefined, "no data inline");
      await c.send(2, { ...msg, snapshot: { ...meta, index: 401 } } as CoreMessage);
      assert.equal(sent.length, 1, "not the current snapshot: nothing sent (the core asks again)");
    }));
});
