// Real-process faults on a 3-node cluster (REPLICATION.md §6.5, issue 3): kill -9 of the
// primary under load, two crashes in either order, a paused primary, a total failure, a torn
// last record, a corrupted middle record (S4). Every loop is bounded; every process is killed
// at the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, type ChatClient } from "@chat-tui/client";
import { TestCluster } from "../src/testing/harness.js";
import { Workload } from "./workload.js";

const binDir = fileURLToPath(new URL("../../../node_modules/.bin/", import.meta.url));
const withCluster = (body: (c: TestCluster) => Promise<void>): Promise<void> => TestCluster.with(3, {}, body);

/** Waits until every node answers and reports itself in the view with the same last index. */
async function converged(c: TestCluster, ids: number[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const rows = await Promise.all(ids.map(async (id) => {
      try {
        const s = await c.status(id);
        const self = s.nodes.find((n) => n.id === id)!;
        return { id, role: self.role, inView: self.inView, last: Number(self.lastIndex), commit: Number(self.commitIndex) };
      } catch {
        return undefined;
      }
    }));
    last = JSON.stringify(rows);
    const ok = rows.every((r) => r && r.inView && (r.role === "primary" || r.role === "backup"))
      && new Set(rows.map((r) => r!.last)).size === 1;
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no convergence: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `body` with two registered users, alice and bob; always closes their clients. */
async function withAliceAndBob(c: TestCluster, body: (alice: ChatClient, bob: ChatClient) => Promise<void>) {
  const alice = connect({ cluster: c.addresses, deadlineMs: 15_000 });
  const bob = connect({ cluster: c.addresses, deadlineMs: 15_000 });
  try {
    await alice.register("alice", "password1");
    await bob.register("bob", "password1");
    await body(alice, bob);
  } finally {
    alice.close();
    bob.close();
  }
}

/** Waits until every node answers GetStatus (a restarted process takes a moment to listen). */
async function answering(c: TestCluster, ids: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const id of ids) {
    for (;;) {
      try {
        await c.status(id);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

test("kill -9 of the primary under load: a backup takes over, nothing acknowledged is lost", async () => {
  await withCluster(async (c) => {
    const w = await Workload.start(c.addresses, 3, "k1");
    await w.progress(30);
    const { primaryId } = await c.waitForPrimary();
    await c.signal(primaryId, "SIGKILL");
    await w.progress(30);
    const after = await c.waitForPrimary();
    assert.notEqual(after.primaryId, primaryId);
    const report = await w.stopAndCheck();
    console.log(`kill -9 primary: ${JSON.stringify(report)}`);
  });
});

test("kill -9 two nodes in either order: the survivor serves alone; both rejoin after restart", async () => {
  for (const order of ["primary-first", "backup-first"] as const) {
    await withCluster(async (c) => {
      const w = await Workload.start(c.addresses, 2, `k2${order[0]}`);
      await w.progress(20);
      const { primaryId } = await c.waitForPrimary();
      const backups = [0, 1, 2].filter((id) => id !== primaryId);
      const victims = order === "primary-first" ? [primaryId, backups[0]!] : [backups[0]!, primaryId];
      for (const victim of victims) {
        await c.signal(victim, "SIGKILL");
        await w.progress(10);
      }
      const survivor = [0, 1, 2].find((id) => !victims.includes(id))!;
      const alone = await c.waitForPrimary();
      assert.equal(alone.primaryId, survivor);
      for (const victim of victims) c.startNode(victim);
      await w.progress(10);
      const report = await w.stopAndCheck();
      await converged(c, [0, 1, 2]);
      console.log(`${order}: ${JSON.stringify(report)}`);
    });
  }
});

test("SIGSTOP of the primary beyond the election timeout: it is fenced and rejoins", async () => {
  await withCluster(async (c) => {
    const w = await Workload.start(c.addresses, 2, "st");
    await w.progress(20);
    const { primaryId, epoch } = await c.waitForPrimary();
    await c.signal(primaryId, "SIGSTOP");
    await w.progress(20); // others elected a new primary and serve
    const during = await c.waitForPrimary();
    assert.notEqual(during.primaryId, primaryId);
    assert.ok(during.epoch > epoch);
    await c.signal(primaryId, "SIGCONT");
    await w.progress(20);
    const report = await w.stopAndCheck();
    await converged(c, [0, 1, 2]);
    // Fenced: it never went back to acting in its old epoch; it rejoined in a newer one.
    const resumed = await c.status(primaryId);
    assert.ok(resumed.nodes.find((n) => n.id === primaryId)!.epoch > epoch, "it follows the newer epoch");
    console.log(`SIGSTOP primary: ${JSON.stringify(report)}`);
  });
});

test("kill -9 of all three, restart: nothing acknowledged is lost; a stale node waits for the last", async () => {
  await withCluster((c) => withAliceAndBob(c, async (alice, bob) => {
    const { primaryId } = await c.waitForPrimary();
    const early = [0, 1, 2].find((id) => id !== primaryId)!;
    await c.signal(early, "SIGKILL"); // crashes early: misses what follows
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) acked.push((await alice.send("bob", `late ${i}`)).text);
    for (const id of [0, 1, 2]) await c.signal(id, "SIGKILL");

    // Only the early node returns: it must not serve with its stale log (R18 waits).
    c.startNode(early);
    await new Promise((r) => setTimeout(r, 2_500));
    const lonely = await c.status(early);
    assert.notEqual(lonely.nodes.find((n) => n.id === early)!.role, "primary", "a stale node became primary");

    for (const id of [0, 1, 2]) if (id !== early) c.startNode(id);
    await c.waitForPrimary(20_000);
    const history = await bob.history("alice", { limit: 100 });
    const texts = new Set(history.map((m) => m.text));
    for (const text of acked) assert.ok(texts.has(text), `lost "${text}" across a total failure`);
    await converged(c, [0, 1, 2]);
  }));
});

test("a lost disk after a total failure: recovery waits; `recover --unclean` goes on without it", async () => {
  await withCluster((c) => withAliceAndBob(c, async (alice, bob) => {
    for (let i = 0; i < 10; i++) await alice.send("bob", `before ${i}`);
    for (const id of [0, 1, 2]) await c.signal(id, "SIGKILL");
    rmSync(c.node(2).dataDir, { recursive: true, force: true }); // node 2's disk is gone
    for (const id of [0, 1, 2]) c.startNode(id);
    await answering(c, [0, 1, 2]);
    await new Promise((r) => setTimeout(r, 2_000));
    for (const id of [0, 1, 2]) {
      const self = (await c.status(id)).nodes.find((n) => n.id === id)!;
      assert.equal(self.role, "recovering", `node ${id}: R18 must wait for the old node 2`);
    }

    const cli = spawnSync(join(binDir, "chat-cluster"), ["recover", "--unclean", "--from", "0", "--config", c.configPath],
      { encoding: "utf8", timeout: 20_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /node 0 .* is (recovering|candidate)/);
    assert.match(cli.stdout, /WARNING: acknowledged messages/);
    await c.waitForPrimary(20_000);
    const history = await bob.history("alice", { limit: 100 });
    assert.equal(history.length, 10, "nodes 0 and 1 held every acknowledged message");
    await alice.send("bob", "after");
    await converged(c, [0, 1, 2]); // the new node 2 joined as a new member
  }));
});

test("a backup that missed several snapshots' worth catches up from a snapshot and holds everything", async () => {
  // Tiny parts: the snapshot (~50 KB) must travel as many of them, never as one message.
  const snapshotPartBytes = 1_024;
  const limits = { snapshotEveryEntries: 50, snapshotPartBytes };
  await TestCluster.with(3, { limits }, (c) => withAliceAndBob(c, async (alice, bob) => {
    const { primaryId } = await c.waitForPrimary();
    const lagging = [0, 1, 2].find((id) => id !== primaryId)!;
    await c.signal(lagging, "SIGKILL");
    const acked: string[] = [];
    for (let i = 0; i < 200; i++) acked.push((await alice.send("bob", `while down ${i}`)).text);
    c.startNode(lagging);
    await converged(c, [0, 1, 2], 30_000);
    const installed = readFileSync(c.node(lagging).logFile, "utf8");
    assert.match(installed, /snapshot installed from the primary/, "the lagging node caught up from a snapshot");
    const received = installed.split("\n").filter((line) => line.includes("\"snapshot received\""))
      .map((line) => JSON.parse(line) as { chunks: number; bytes: number });
    assert.ok(received.length > 0, "a snapshot file was received");
    for (const { chunks, bytes } of received) {
      assert.ok(bytes > 10 * snapshotPartBytes, `a snapshot many parts large (${bytes} bytes)`);
      assert.equal(chunks, Math.ceil(bytes / snapshotPartBytes), "streamed part by part");
    }
    const snapDir = join(c.node(lagging).dataDir, "snap");
    const left = readdirSync(snapDir).filter((name) => name.endsWith(".tmp"));
    assert.deepEqual(left, [], "no transfer left behind");
    // The two others die: the caught-up node alone must hold every acknowledged message.
    for (const id of [0, 1, 2]) if (id !== lagging) await c.signal(id, "SIGKILL");
    await c.waitForPrimary(20_000);
    const texts = new Set((await bob.history("alice", { limit: 500 })).map((m) => m.text));
    for (const text of acked) assert.ok(texts.has(text), `lost "${text}" after a snapshot catch-up`);
  }));
});

test("a torn last record: the node cuts it off, recovers and catches up", async () => {
  await withCluster(async (c) => {
    const w = await Workload.start(c.addresses, 1, "tt");
    await w.progress(20);
    const { primaryId } = await c.waitForPrimary();
    const victim = [0, 1, 2].find((id) => id !== primaryId)!;
    await c.signal(victim, "SIGKILL");
    const walDir = join(c.node(victim).dataDir, "wal");
    const segment = readdirSync(walDir).filter((f) => f.endsWith(".jsonl")).sort().at(-1)!;
    appendFileSync(join(walDir, segment), '1a2b3c4d {"index":999999,"epoch":1,"ts":1,"kind":"cmd","pay');
    c.startNode(victim);
    await w.progress(20);
    const report = await w.stopAndCheck();
    await converged(c, [0, 1, 2]);
    assert.ok(readdirSync(walDir).some((f) => f.endsWith(".broken")), "the torn tail was kept as *.broken");
    console.log(`torn tail: ${JSON.stringify(report)}`);
  });
});

/**
 * S4: damages a log record in the middle of a node's newest WAL segment, well before its last
 * intact batch marker (one byte of its JSON, so its CRC fails). Returns the damaged index.
 */
function corruptMiddleRecord(dataDir: string): number {
  const walDir = join(dataDir, "wal");
  const segment = join(walDir, readdirSync(walDir).filter((f) => f.endsWith(".jsonl")).sort().at(-1)!);
  const lines = readFileSync(segment, "utf8").split("\n");
  const cmds = lines.flatMap((line, k) => (line.includes('"kind":"cmd"') ? [k] : []));
  assert.ok(cmds.length >= 10, "enough records to damage one in the middle");
  const k = cmds[Math.floor(cmds.length / 2)]!;
  const index = Number(/"index":(\d+)/.exec(lines[k]!)![1]);
  lines[k] = lines[k]!.replace('"kind":"cmd"', '"kind":"cmx"');
  writeFileSync(segment, lines.join("\n"));
  return index;
}

test("a corrupted middle record after a total failure (S4): R18 proceeds, the node repairs", async () => {
  await withCluster((c) => withAliceAndBob(c, async (alice, bob) => {
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) acked.push((await alice.send("bob", `s4 ${i}`)).text);
    await converged(c, [0, 1, 2]);
    const { primaryId } = await c.waitForPrimary();
    for (const id of [0, 1, 2]) await c.signal(id, "SIGKILL");
    // The last primary (a longest log) comes back storage-faulted: its reach equals the others'
    // logs, so R18 may elect one of them, and the faulted node repairs by following it.
    const damaged = corruptMiddleRecord(c.node(primaryId).dataDir);
    for (const id of [0, 1, 2]) c.startNode(id);
    await c.waitForPrimary(20_000);
    const texts = new Set((await bob.history("alice", { limit: 100 })).map((m) => m.text));
    for (const text of acked) assert.ok(texts.has(text), `lost "${text}" (record ${damaged} damaged)`);
    await alice.send("bob", "after the repair");
    await converged(c, [0, 1, 2], 30_000);
    const log = readFileSync(c.node(primaryId).logFile, "utf8");
    assert.match(log, /repairing the storage-faulted log/, "the faulted node repaired its log");
    const walDir = join(c.node(primaryId).dataDir, "wal");
    assert.ok(readdirSync(walDir).some((f) => f.includes(".corrupt")), "the damaged segment was set aside");
  }));
});

test("the longest log corrupted after a total failure (S4): recovery waits for it, the node stays up", async () => {
  await withCluster((c) => withAliceAndBob(c, async (alice) => {
    const { primaryId } = await c.waitForPrimary();
    for (const id of [0, 1, 2]) if (id !== primaryId) await c.signal(id, "SIGKILL");
    // The primary removes both and acks alone: only its log holds these.
    for (let i = 0; i < 12; i++) await alice.send("bob", `alone ${i}`);
    await c.signal(primaryId, "SIGKILL");
    corruptMiddleRecord(c.node(primaryId).dataDir);
    for (const id of [0, 1, 2]) c.startNode(id);
    await answering(c, [0, 1, 2]);
    await new Promise((r) => setTimeout(r, 2_500));
    for (const id of [0, 1, 2]) {
      const self = (await c.status(id)).nodes.find((n) => n.id === id)!;
      assert.equal(self.role, "recovering", `node ${id}: R18 must wait for the damaged log's reach`);
    }
  }));
});
