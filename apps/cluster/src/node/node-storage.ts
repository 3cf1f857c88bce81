// A node's durable state, opened and recovered: the data-dir lock, identity and hard state
// (MetaStore), the latest snapshot, the commit log replayed into the chat state. Applies
// committed entries and takes snapshots (then compacts the log) in the background every
// `snapshotEveryEntries`. Catch-up by snapshot (R19) moves files, never a whole state in
// memory: the primary's snapshot file is opened for streaming (`snapshotSource`), a lagging
// node receives one into a temp file (`receiveSnapshot`) and `install` adopts that file as its
// durable snapshot and restores the chat state from it, streamed and yielding.
import { setImmediate as yieldToLoop } from "node:timers/promises";
import {
  applyCommand,
  captureSnapshot,
  chunkedHeader,
  createState,
  isChunkedHeader,
  restoreSnapshot,
  SealedPage,
  snapshotChunksReusingPages,
  SnapshotRestorer,
  type ChatState,
  type ChunkedSnapshotHeader,
  type Command,
  type CommandOutcome,
  type Message,
  type MessageRow,
  type SnapshotHeader,
} from "@chat-tui/chat-state";
import {
  CommitLog,
  MetaStore,
  Pacer,
  RawRecord,
  RecordBytes,
  SnapshotStore,
  lockDataDir,
  type DataDirLock,
  type NodeMeta,
  type OpenedSnapshot,
  type ReceivedSnapshot,
  type RecoveryReport,
  type SnapshotReceiver,
  type SnapshotSource,
} from "@chat-tui/storage";
import { logRetainEntries, restoreBehindDuty, restoreBehindSliceMs, snapshotEveryEntries } from "../limits.js";
import { entryJson } from "./entry-json.js";
import type { Logger } from "../logger.js";

/** A client command in the log. */
export interface CmdEntry {
  index: number;
  epoch: number;
  /** Log time (R1). */
  ts: number;
  kind: "cmd";
  payload: Command;
}

/** Every entry kind the log holds; replication adds view and barrier entries. */
export interface StoredEntry {
  index: number;
  epoch: number;
  ts: number;
  kind: string;
  payload?: unknown;
}

export interface SnapshotExtra {
  /** Format 2 (chunked, chat-state snapshot-chunks.ts); format 1 from older nodes is read too. */
  chat: ChunkedSnapshotHeader | SnapshotHeader;
  lastTs: number;
  /** Whatever the replication layer keeps with a snapshot (the latest view, R0). */
  replication?: unknown;
}

export interface Recovered {
  entries: StoredEntry[];
  snapshotExtra: SnapshotExtra | undefined;
  snapshotIndex: number;
  snapshotEpoch: number;
  /**
   * S4: damage before the last intact batch marker (`entries` is then the intact prefix):
   * where it starts and how far the damaged log reaches (for the core, R18).
   */
  fault?: { firstDamagedIndex: number; lastIndexReached: number };
}

export class NodeStorage {
  private sinceSnapshot = 0;
  /** What open() found, for the replication core's `Durable` (dropped once handed over). */
  recovered: Recovered | undefined;
  /** A cluster of one snapshots by itself; a replica snapshots when its core says so. */
  private selfSnapshots = true;
  /** The share of a core a snapshot write may take; undefined: the storage default. */
  private snapshotDuty: number | undefined;
  private snapshotting: Promise<void> | undefined;
  private closed = false;
  private loaded = true;
  /** Paces the background restore until the host hurries it (`hurryRestore`). */
  private restorePacer: Pacer | undefined;
  /** S4: the intact prefix above the snapshot it was opened with, kept for the repair. */
  private faultedPrefix: { base: { index: number; epoch: number }; entries: StoredEntry[] } | undefined;
  /**
   * Resolves once `state` holds the snapshot's state. A replica opens before that (its
   * snapshot is restored in the background, yielding) so it can rejoin as a backup while a
   * 1M-message state loads; until then `state` is an empty placeholder that nobody may read,
   * and applies wait (replicated.ts). Rejects (StorageFaultedError) on a damaged snapshot.
   */
  stateReady: Promise<void> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    private readonly lock: DataDirLock,
    readonly meta: MetaStore,
    private readonly snapshots: SnapshotStore,
    readonly log: CommitLog<StoredEntry>,
    public state: ChatState,
    public lastIndex: number,
    public lastTs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * `applyLog`: replay every durable entry into the state (a cluster of one, where durable
   * means committed). A replica restores only its snapshot; the replication core applies the
   * rest once it knows what is committed. `unpacedSnapshots`: snapshots are written at full
   * speed (an offline seed has no clients to share the machine with).
   */
  static async open(
    dataDir: string,
    options: { clusterId: string; nodeId: number; log: Logger; applyLog: boolean; unpacedSnapshots?: boolean },
  ): Promise<NodeStorage> {
    const lock = await lockDataDir(dataDir);
    let meta: MetaStore | undefined;
    try {
      meta = await MetaStore.open(dataDir, { clusterId: options.clusterId, nodeId: options.nodeId });
      const snapshots = await SnapshotStore.open(dataDir);
      const snapshot = await snapshots.openLatest();
      for (const file of snapshot?.broken ?? []) options.log.warn({ file }, "damaged snapshot set aside");
      const extra = snapshot?.header as SnapshotExtra | undefined;
      // A cluster of one replays its log into the state now; a replica restores it behind.
      const restoreNow = snapshot && extra && options.applyLog;
      const state = restoreNow ? await restoreFrom(snapshot, extra.chat) : createState();
      const opened = await CommitLog.open<StoredEntry>(dataDir, {
        ...(snapshot ? { snapshot: { index: snapshot.index, epoch: snapshot.epoch, logStart: snapshot.logStart } } : {}),
      });
      report(opened.report, options.log);
      if (opened.report.corruption && options.applyLog) {
        throw new Error(`the log in ${dataDir} is corrupt before its last intact batch (${opened.report.corruption.reason}); `
          + "a single node cannot repair it from peers");
      }
      let lastTs = extra?.lastTs ?? 0;
      let lastIndex = snapshot?.index ?? 0;
      for (const entry of opened.entries) {
        if (options.applyLog && entry.kind === "cmd") {
          applyCommand(state, entry.payload as Command, { index: entry.index, ts: entry.ts });
        }
        lastTs = Math.max(lastTs, entry.ts);
        lastIndex = entry.index;
      }
      const storage = new NodeStorage(dataDir, lock, meta, snapshots, opened.log, state, lastIndex, lastTs, options.log);
      storage.sinceSnapshot = opened.entries.length;
      const damage = opened.report.corruption;
      const fault = damage && { firstDamagedIndex: damage.firstDamagedIndex,
        lastIndexReached: damage.lastIndexReached };
      storage.recovered = { entries: opened.entries, snapshotExtra: extra, snapshotIndex: snapshot?.index ?? 0,
        snapshotEpoch: snapshot?.epoch ?? 0, ...(fault ? { fault } : {}) };
      if (damage) {
        const base = { index: snapshot?.index ?? 0, epoch: snapshot?.epoch ?? 0 };
        storage.faultedPrefix = { base, entries: opened.entries };
      }
      storage.selfSnapshots = options.applyLog;
      storage.snapshotDuty = options.unpacedSnapshots === true ? 1 : undefined;
      // Started only now, so it does not slow the WAL scan above (it shares the thread).
      if (snapshot && extra && !options.applyLog) storage.restoreBehind(snapshot, extra.chat);
      options.log.info({ lastIndex, snapshotIndex: snapshot?.index ?? 0, replayed: opened.entries.length,
        stateLoaded: storage.loaded }, "storage recovered");
      return storage;
    } catch (err) {
      await meta?.close().catch(() => undefined);
      await lock.release();
      throw err;
    }
  }

  get stateLoaded(): boolean {
    return this.loaded;
  }

  /**
   * Restores the snapshot's state in the background, paced until `hurryRestore` (the host
   * decides, replicated.ts `maybeHurryRestore`); applies wait for the state meanwhile.
   */
  private restoreBehind(snapshot: OpenedSnapshot, chat: SnapshotExtra["chat"]): void {
    this.loaded = false;
    const started = performance.now();
    const pacer = new Pacer(restoreBehindSliceMs, restoreBehindDuty);
    this.restorePacer = pacer;
    this.stateReady = yieldToLoop().then(() => restoreFrom(snapshot, chat, pacer)).then((state) => {
      this.state = state;
      this.loaded = true;
      this.logger.info({ messages: state.messages.length, ms: Math.round(performance.now() - started) },
        "snapshot state restored");
    }).finally(() => {
      this.restorePacer = undefined;
    });
  }

  /** The background restore goes on unpaced (the node is to serve, or waits for it). */
  hurryRestore(): void {
    this.restorePacer?.unpace();
  }

  get epoch(): number {
    return this.meta.data.epoch;
  }

  get identity(): Pick<NodeMeta, "storageId" | "nodeId" | "clusterId"> {
    return this.meta.data;
  }

  /** Appends entries (as serialised once, entry-json.ts); resolves once they are fsynced. */
  append(entries: readonly StoredEntry[]): Promise<void> {
    const raw = entries.map((entry) => {
      this.lastIndex = entry.index;
      this.lastTs = Math.max(this.lastTs, entry.ts);
      return { index: entry.index, epoch: entry.epoch, json: entryJson(entry) };
    });
    return this.log.appendRaw(raw);
  }

  /**
   * Drops an uncommitted suffix (R2); durable when it resolves. On a storage-faulted log (S4)
   * this is the core's repair: the log restarts from its snapshot with the intact prefix
   * through `index` written again, and the damaged segments are set aside as `.corrupt`.
   */
  truncateAfter(index: number): Promise<void> {
    this.lastIndex = Math.min(this.lastIndex, index);
    if (this.log.faulted && this.faultedPrefix) return this.repairTo(index, this.faultedPrefix);
    return this.log.truncateAfter(index);
  }

  /** Both writes are queued now, in order, so a log write the host issues next follows them. */
  private repairTo(index: number, prefix: NonNullable<NodeStorage["faultedPrefix"]>): Promise<void> {
    this.faultedPrefix = undefined;
    const keep = prefix.entries.filter((entry) => entry.index <= index);
    this.logger.warn({ index, base: prefix.base.index, rewritten: keep.length }, "repairing the storage-faulted log (S4)");
    const reset = this.log.resetTo(prefix.base);
    if (keep.length === 0) return reset;
    // No extra promise hop: the host reports writes durable in issue order. A failed reset
    // fails the log, and with it this append queued behind it.
    reset.catch(() => undefined);
    return this.append(keep);
  }

  /** Applies one committed entry to the chat state; returns the command's outcome. */
  apply(entry: CmdEntry): CommandOutcome {
    const outcome = applyCommand(this.state, entry.payload, { index: entry.index, ts: entry.ts });
    if (this.selfSnapshots && ++this.sinceSnapshot >= snapshotEveryEntries) {
      void this.snapshot(entry.index, entry.epoch, entry.ts);
    }
    return outcome;
  }

  /**
   * Takes a snapshot at `index` (the state must be applied exactly through it) and then
   * compacts the log behind it. Resolves true once the snapshot is durable (false if one was
   * already being written or the write failed).
   */
  snapshot(index: number, epoch: number, ts: number, replication?: unknown): Promise<boolean> {
    if (this.snapshotting || this.closed) return Promise.resolve(false);
    this.sinceSnapshot = 0;
    const capture = captureSnapshot(this.state);
    const count = capture.messages.length;
    const extra: SnapshotExtra = { chat: chunkedHeader(capture), lastTs: ts, replication };
    const started = Date.now();
    const done = this.snapshots.write({ index, epoch, header: extra }, recordsOf(capture), this.snapshotDuty)
      .then(async () => {
        // A storage-faulted log (S4) keeps its segments until the core's repair; the next
        // snapshot compacts it. The snapshot itself is durable either way.
        const removed = this.log.faulted ? 0 : await this.log.compact(index - logRetainEntries);
        this.logger.info({ index, messages: count, ms: Date.now() - started, removedSegments: removed }, "snapshot taken");
        return true;
      })
      .catch((err: unknown) => {
        this.logger.error({ err }, "snapshot failed; the log is kept");
        return false;
      })
      .finally(() => {
        this.snapshotting = undefined;
      });
    this.snapshotting = done.then(() => undefined);
    return done;
  }

  /** The latest snapshot's file, open for streaming to a lagging peer, if it is at `index`. */
  snapshotSource(index: number): Promise<SnapshotSource | undefined> {
    return this.snapshots.source(index);
  }

  /** A temp file for a snapshot arriving from the primary (R19), verified as it is written. */
  receiveSnapshot(position: { index: number; epoch: number }): Promise<SnapshotReceiver> {
    return this.snapshots.receive(position);
  }

  /** Removes a received snapshot that will not be installed. */
  discardReceived(received: ReceivedSnapshot): Promise<void> {
    return this.snapshots.discard(received);
  }

  /**
   * Installs a snapshot received from the primary (R19): the verified file becomes the
   * durable snapshot (rename, directory fsync, MANIFEST with `logStart = index + 1`, §8.5),
   * the log restarts after it unless it is kept, then the chat state is restored from the
   * file, streamed and yielding. Resolves once all of that is done.
   */
  async install(received: ReceivedSnapshot, retainLog: boolean): Promise<void> {
    this.hurryRestore();
    await this.stateReady; // else the background restore would replace the installed state
    this.snapshots.hurry(); // a paced snapshot of our own would hold up the catch-up
    await this.snapshotting;
    const { index, epoch } = received;
    await this.snapshots.adopt(received);
    this.faultedPrefix = undefined; // the log restarts after the snapshot: nothing to repair
    if (!retainLog || this.log.faulted) await this.log.resetTo({ index, epoch });
    const opened = await this.snapshots.openLatest();
    if (opened?.index !== index || opened.epoch !== epoch) {
      throw new Error(`snapshot ${received.name} was not adopted`);
    }
    const extra = opened.header as SnapshotExtra;
    // A file damaged since it was verified rejects (StorageFaultedError): a crash, and the
    // restart falls back to the previous snapshot.
    this.state = await restoreFrom(opened, extra.chat);
    this.lastTs = Math.max(this.lastTs, extra.lastTs);
    if (!retainLog) this.lastIndex = index;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hurryRestore();
    this.snapshots.hurry();
    await this.snapshotting;
    await this.log.close();
    await this.meta.close();
    await this.lock.release();
  }
}

/**
 * The snapshot records of a capture, one chunk each so the writer yields between them; a page
 * restored unparsed goes as the RawRecord it was read from, a sealed page as its record's
 * bytes: the writer copies both as they are.
 */
function* recordsOf(capture: ReturnType<typeof captureSnapshot>): Generator<readonly unknown[]> {
  for (const chunk of snapshotChunksReusingPages(capture)) {
    if (chunk.t !== "verbatim") yield [chunk];
    else if (chunk.source instanceof RawRecord) yield [chunk.source];
    else if (chunk.source instanceof SealedPage) yield [new RecordBytes(chunk.source.blocks)];
    else throw new Error("an unparsed page's source is neither a snapshot record nor a sealed page");
  }
}

/**
 * The chat state of an opened snapshot, streamed from disk (formats 2 and 3 chunk by chunk;
 * format 3 without parsing its messages).
 */
async function restoreFrom(snapshot: OpenedSnapshot, chat: SnapshotExtra["chat"], pacer?: Pacer):
  Promise<ChatState> {
  if (!isChunkedHeader(chat)) {
    const messages: unknown[] = [];
    await snapshot.load((record) => messages.push(record));
    return restoreSnapshot(chat, messages as Message[]);
  }
  const restorer = new SnapshotRestorer(chat);
  if (chat.format === 2) {
    await snapshot.load((record) => restorer.add(record), { pacer });
    return restorer.finish();
  }
  // Format 3: messages chunks stay their bytes, parsed when read (chat-state message-log.ts).
  await snapshot.load((record) => {
    if (!(record instanceof RawRecord)) return restorer.add(record);
    const head = unparsedMessagesHead.exec(record.head(64));
    if (head === null) return restorer.add(record.parse());
    restorer.addUnparsed(Number(head[1]), Number(head[2]),
      () => (record.parse() as { rows: MessageRow[] }).rows, record);
  }, { unparsedPrefix: '{"t":"messages",', pacer });
  return restorer.finish();
}

/** How a format 3 messages chunk begins (snapshot-chunks.ts writes `t, from, n, rows`). */
const unparsedMessagesHead = /^\{"t":"messages","from":(\d+),"n":(\d+),"rows":/;

function report(recovery: RecoveryReport, log: Logger): void {
  if (recovery.tornTail) log.warn({ tornTail: recovery.tornTail }, "torn tail cut off the log (S3)");
  if (recovery.rebased) log.warn({ rebased: recovery.rebased }, "log restarted after an installed snapshot");
}

/** The messages a committed entry created (for live delivery). */
export function appliedMessages(entry: StoredEntry, outcome: CommandOutcome): Message[] {
  if (entry.kind !== "cmd" || !outcome.ok) return [];
  const value = outcome.value as { message?: Message; duplicate?: boolean };
  return value.message && !value.duplicate ? [value.message] : [];
}

/** Whether a committed entry may have ended sessions (streams must re-check their token). */
export function sessionsChanged(entry: StoredEntry): boolean {
  const kind = (entry.payload as Command | undefined)?.kind;
  return entry.kind === "cmd" && (kind === "logout" || kind === "delete-account" || kind === "login");
}
