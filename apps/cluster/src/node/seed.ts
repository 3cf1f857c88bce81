// `chat-cluster seed`: grows a stopped node's data dir by N sends, offline, through the same
// code a running node uses — NodeStorage (entry JSON, WAL group commit, snapshots in format 2,
// compaction) and applyCommand — so a benchmark can restart real nodes from a 1M-message
// state in minutes instead of filling it through the cluster (~9 min at ~1,800 sends/s).
//
// Every node of the cluster is seeded with the same arguments: the entries are a pure function
// of (the data dir's last position, --seed), so all replicas end with identical logs. Run it
// only on a cluster that was stopped cleanly after converging (every entry committed).
import { viewOfEntry, type LogEntry, type SnapshotMeta, type View } from "@chat-tui/replication";
import { limits as storageLimits } from "@chat-tui/storage";
import { applyCommand, type SendCommand } from "@chat-tui/chat-state";
import { quietLogger } from "../logger.js";
import { NodeStorage, type StoredEntry } from "./node-storage.js";

export interface SeedOptions {
  clusterId: string;
  nodeId: number;
  dataDir: string;
  messages: number;
  from: string;
  to: string;
  /** Log time between two sends, as a cluster at this rate would have written them. */
  ratePerSec: number;
  seed: string;
  /** The replication layer snapshots every this many entries (replicated.ts). */
  snapshotIntervalEntries: number;
}

export interface SeedReport {
  /** The position seeded on: equal on every node of a cleanly stopped cluster. */
  baseEpoch: number;
  firstIndex: number;
  lastIndex: number;
  snapshotIndex: number | undefined;
}

/** Entries appended per durable batch: one WAL group-commit batch. */
const entriesPerBatch = storageLimits.batchEntriesMax;

export async function seedDataDir(o: SeedOptions): Promise<SeedReport> {
  const storage = await NodeStorage.open(o.dataDir, {
    clusterId: o.clusterId, nodeId: o.nodeId, log: quietLogger(), applyLog: true, unpacedSnapshots: true,
  });
  try {
    return await seedOpened(storage, o);
  } finally {
    await storage.close();
  }
}

async function seedOpened(storage: NodeStorage, o: SeedOptions): Promise<SeedReport> {
  const recovered = storage.recovered;
  if (!recovered) throw new Error("storage already handed over");
  const tokenHash = sessionOf(storage, o.from);
  if (!storage.state.accountIds.has(o.to)) throw new Error(`no account "${o.to}" to send to`);
  const view = latestView(recovered.entries, recovered.snapshotExtra?.replication as SnapshotMeta | undefined);
  const epoch = recovered.entries.at(-1)?.epoch ?? recovered.snapshotEpoch;
  const firstIndex = storage.lastIndex + 1;
  const lastIndex = storage.lastIndex + o.messages;
  const baseTs = storage.lastTs;
  let snapshotBase = recovered.snapshotIndex;
  let snapshotIndex: number | undefined;
  const ids = new IdMaker(o.seed, firstIndex);
  for (let from = firstIndex; from <= lastIndex; from += entriesPerBatch) {
    const batch: StoredEntry[] = [];
    for (let index = from; index <= Math.min(lastIndex, from + entriesPerBatch - 1); index++) {
      const ts = Math.floor(baseTs + ((index - firstIndex + 1) * 1000) / o.ratePerSec);
      const payload: SendCommand = {
        kind: "send", requestId: ids.next(), tokenHash, to: o.to, text: text100(index),
        clientMsgId: ids.next(), messageId: ids.next(), sentAtMs: 1_700_000_000_000 + ts,
      };
      batch.push({ index, epoch, ts, kind: "cmd", requestId: payload.requestId, payload } as StoredEntry);
    }
    await storage.append(batch);
    for (const entry of batch) {
      const outcome = applyCommand(storage.state, entry.payload as SendCommand, { index: entry.index, ts: entry.ts });
      if (!outcome.ok) throw new Error(`seeded send ${entry.index} failed: ${outcome.error.message}`);
      // Every interval, as a replica of rank 0 would (its own phase: libs/replication compaction.ts).
      if (entry.index - snapshotBase >= o.snapshotIntervalEntries) {
        const meta: SnapshotMeta = { index: entry.index, epoch, ts: entry.ts, view };
        if (!(await storage.snapshot(entry.index, epoch, entry.ts, meta))) throw new Error("snapshot failed");
        snapshotBase = entry.index;
        snapshotIndex = entry.index;
      }
    }
  }
  await storage.meta.update({ commitHint: lastIndex });
  return { baseEpoch: epoch, firstIndex, lastIndex, snapshotIndex };
}

function sessionOf(storage: NodeStorage, username: string): string {
  const accountId = storage.state.accountIds.get(username);
  if (accountId === undefined) throw new Error(`no account "${username}" to send from`);
  const tokenHash = [...(storage.state.indexes.get(accountId)?.sessions ?? [])].at(-1);
  if (tokenHash === undefined) throw new Error(`"${username}" has no live session`);
  return tokenHash;
}

function latestView(entries: readonly StoredEntry[], snapshot: SnapshotMeta | undefined): View {
  const last = (entries as unknown as readonly LogEntry[]).findLast((e) => e.kind !== "cmd");
  if (last) return viewOfEntry(last);
  if (snapshot) return snapshot.view;
  throw new Error("no view in the log or the snapshot");
}

/** A 100-byte text (ASCII), unique per index, like the bench's load. */
function text100(index: number): string {
  return `seeded message ${index} `.padEnd(100, ".");
}

/** UUID-shaped ids, a pure function of (seed, position): every replica mints the same ones. */
class IdMaker {
  private counter: number;
  private readonly prefix: string;

  constructor(seed: string, start: number) {
    let h = 0x811c9dc5;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    this.prefix = h.toString(16).padStart(8, "0");
    this.counter = start * 3;
  }

  next(): string {
    const n = (this.counter++).toString(16).padStart(16, "0");
    return `${this.prefix}-${n.slice(0, 4)}-4${n.slice(4, 7)}-8${n.slice(7, 10)}-${n.slice(10)}000000`;
  }
}
