// The commit log of a replica (REPLICATION.md §8): a JSON-lines WAL in segments, appended in
// group-commit batches (R5, §8.3). Appends queue up; one flusher writes a batch (records +
// batch marker), fdatasyncs it, and only then resolves the appends in it (S1). Appends that
// arrive while a sync is in flight form the next batch: no timers. Truncation of an
// uncommitted suffix (R2) is a `truncate` record in a batch of its own, so it is durable and
// crash-safe without rewriting files. A write or fsync error is fatal (S2): every pending
// and later call rejects with StorageFatalError and the process must exit.
import * as path from "node:path";
import { requireCrc32 } from "./crc.js";
import { Deque } from "./deque.js";
import { EpochRuns } from "./epoch-runs.js";
import { fatal, StorageFatalError, StorageFaultedError } from "./errors.js";
import { ensureDir, nodeFileIo } from "./io.js";
import {
  batchBytesMax,
  batchEntriesMax,
  queueEntriesMax,
  recordBytesMax,
  segmentBytesMax as segmentBytesDefault,
  segmentBytesMin,
} from "./limits.js";
import type { LogEntry, LogPosition, RawEntry } from "./log-entry.js";
import { checkSnapshotChain } from "./snapshot-chain.js";
import { truncateJson } from "./wal-format.js";
import type { CommitLogOptions, RecoveryReport } from "./commit-log-types.js";
import { recoverWal } from "./wal-recovery.js";
import { WalWriter, type WalStats } from "./wal-writer.js";

export interface OpenedCommitLog<E extends LogEntry> {
  readonly log: CommitLog<E>;
  /** The replayed entries after `afterIndex`, in order. */
  readonly entries: E[];
  readonly report: RecoveryReport;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}
type EntryItem = {
  kind: "entry";
  index: number;
  epoch: number;
  json: string;
  bytes: number;
  done?: Waiter;
};
type TruncateItem = { kind: "truncate"; after: number; epoch: number; done: Waiter };
type TaskItem = { kind: "task"; run: () => Promise<unknown>; done: Waiter };
type Item = EntryItem | TruncateItem | TaskItem;

export class CommitLog<E extends LogEntry = LogEntry> {
  private readonly queue = new Deque<Item>();
  private queuedEntries = 0;
  private inFlight: readonly Item[] = [];
  private flushState: "idle" | "scheduled" | "running" = "idle";
  private fatalError: StorageFatalError | undefined;
  private closing: Promise<void> | undefined;
  /** Truncation must not reach at or below a compaction point. */
  private truncateFloor: number;

  private constructor(
    private readonly writer: WalWriter,
    private runs: EpochRuns,
    private faultedFlag: boolean,
    private durable: LogPosition,
  ) {
    this.truncateFloor = runs.baseIndex;
  }

  /** Recovers the WAL under `<dataDir>/wal` (§8.4) and opens it for appends. */
  static async open<E extends LogEntry = LogEntry>(
    dataDir: string,
    options: CommitLogOptions = {},
  ): Promise<OpenedCommitLog<E>> {
    requireCrc32();
    const io = options.io ?? nodeFileIo;
    const segmentBytes = options.segmentBytesMax ?? segmentBytesDefault;
    if (!(segmentBytes >= segmentBytesMin)) throw new Error(`segmentBytesMax < ${segmentBytesMin}`);
    const walDir = path.join(dataDir, "wal");
    await ensureDir(io, walDir);
    const snap = options.snapshot;
    // Entries the snapshot covers are never handed out (entriesAfter), so they need no parse.
    const after = options.afterIndex ?? snap?.index;
    const parseAfter = snap !== undefined && after! >= snap.index ? snap.index : -1;
    const rec = await recoverWal<E>(walDir, io, parseAfter);
    const st = rec.state;
    let corruption = rec.corruption;
    let unchained = false;
    if (corruption === undefined && snap !== undefined) {
      const check = checkSnapshotChain(st, snap);
      if (check.kind === "unchained") {
        unchained = true;
        const { reason, firstDamagedIndex } = check;
        // An installed snapshot restarts the log (R19); after a local one it is damage (S4).
        if (snap.logStart !== snap.index + 1) {
          corruption = { reason, firstDamagedIndex, lastIndexReached: st.lastIndex };
        }
      }
    }
    const report = {
      segments: rec.segments.length,
      supersededSegments: rec.supersededSegments,
      ...(rec.tornTail !== undefined ? { tornTail: rec.tornTail } : {}),
      ...(corruption !== undefined ? { corruption } : {}),
    };
    const tail = { index: st.lastIndex, epoch: st.lastEpoch };
    if (corruption !== undefined) {
      const runs = EpochRuns.fromEntries({ index: st.baseIndex, epoch: st.baseEpoch }, st.entries);
      const log = new CommitLog<E>(WalWriter.detached(walDir, io, segmentBytes), runs, true, tail);
      // Nothing after an unchained snapshot follows from it.
      const entries = unchained ? [] : entriesAfter(st, after);
      return { log, entries, report };
    }
    if (unchained && snap !== undefined) {
      const base = { index: snap.index, epoch: snap.epoch };
      const writer = WalWriter.detached(walDir, io, segmentBytes);
      await writer.reset(base, false);
      const log = new CommitLog<E>(writer, new EpochRuns(base), false, base);
      const rebased = { ...base, droppedLastIndex: st.lastIndex };
      return { log, entries: [], report: { ...report, segments: 1, rebased } };
    }
    const writer = await WalWriter.open(walDir, io, segmentBytes, rec.segments, st.chain, tail);
    const runs = EpochRuns.fromEntries({ index: st.baseIndex, epoch: st.baseEpoch }, st.entries);
    const log = new CommitLog<E>(writer, runs, false, tail);
    const entries = entriesAfter(st, after);
    return { log, entries, report: { ...report, segments: writer.segmentCount } };
  }

  /** First index the WAL still holds (compaction moves it). */
  get firstIndex(): number {
    return this.runs.baseIndex + 1;
  }
  /** Last index appended, durable or still queued. */
  get lastIndex(): number {
    return this.runs.lastIndex;
  }
  get lastEpoch(): number {
    return this.runs.lastEpoch;
  }
  get entryCount(): number {
    return this.runs.lastIndex - this.runs.baseIndex;
  }
  /** Last index covered by a batch that is written and fdatasynced. */
  get durableIndex(): number {
    return this.durable.index;
  }
  /** True while the log holds corruption (S4): only `resetTo` is accepted. */
  get faulted(): boolean {
    return this.faultedFlag;
  }
  get stats(): Readonly<WalStats> {
    return this.writer.stats;
  }
  /** Epoch of the entry at `index`, for firstIndex − 1 ≤ index ≤ lastIndex. */
  epochAt(index: number): number {
    return this.runs.epochAt(index);
  }

  /**
   * Appends entries (`index = lastIndex + 1`, epochs non-decreasing); resolves once the batch
   * holding the last of them is fdatasynced. Rejects StorageFatalError on I/O failure.
   */
  append(entries: readonly E[]): Promise<void> {
    const raw = entries.map((e) => ({ index: e.index, epoch: e.epoch, json: JSON.stringify(e) }));
    return this.enqueueEntries(raw, false);
  }

  /** Like `append` for entries the caller already serialised (no second JSON.stringify). */
  appendRaw(entries: readonly RawEntry[]): Promise<void> {
    return this.enqueueEntries(entries, true);
  }

  /**
   * Drops every entry after `index` (a backup's conflicting uncommitted suffix, R2); durable
   * when it resolves. The caller asserts `index` is above its known commit index.
   */
  truncateAfter(index: number): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    const floor = Math.max(this.runs.baseIndex, this.truncateFloor);
    if (!Number.isSafeInteger(index) || index < floor || index > this.runs.lastIndex) {
      return Promise.reject(
        new Error(`truncateAfter(${index}) outside [${floor}, ${this.lastIndex}]`),
      );
    }
    const epoch = this.runs.epochAt(index);
    this.runs.truncateAfter(index);
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: "truncate", after: index, epoch, done: { resolve, reject } });
      this.schedule();
    });
  }

  /**
   * Restarts the log empty right after `base`: for a snapshot installed from the primary
   * (R19) or repair of a faulted log. Call only once that snapshot is durable (S5). Older
   * segments are deleted (a faulted log's are renamed `.corrupt`).
   */
  resetTo(base: LogPosition): Promise<void> {
    const refusal =
      this.fatalError ?? (this.closing ? new Error("commit log is closed") : undefined);
    if (refusal !== undefined) return Promise.reject(refusal);
    if (!Number.isSafeInteger(base.index) || !Number.isSafeInteger(base.epoch) || base.index < 0) {
      return Promise.reject(new Error(`resetTo: bad position (${base.index}, ${base.epoch})`));
    }
    const keepOld = this.faultedFlag;
    const position = { index: base.index, epoch: base.epoch };
    this.runs = new EpochRuns(position);
    this.faultedFlag = false;
    this.truncateFloor = position.index;
    return this.enqueueTask(async () => {
      await this.writer.reset(position, keepOld);
      this.durable = position;
    }) as Promise<void>;
  }

  /**
   * Deletes whole segments whose entries are all ≤ `throughIndex` (§8.5 step 5). Call only
   * after a snapshot covering `throughIndex` is durable (S5), keeping slack for catch-up.
   */
  compact(throughIndex: number): Promise<number> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (!Number.isSafeInteger(throughIndex)) return Promise.reject(new Error("compact: bad index"));
    this.truncateFloor = Math.max(this.truncateFloor, throughIndex);
    return this.enqueueTask(async () => {
      const deleted = await this.writer.compact(throughIndex);
      const first = this.writer.firstSegment;
      if (deleted > 0 && first !== undefined) {
        this.runs.rebase({ index: first.seedIndex, epoch: first.seedEpoch });
      }
      return deleted;
    }) as Promise<number>;
  }

  /** Waits for queued work, then closes the segment. Later calls reject. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    if (this.fatalError !== undefined) {
      this.closing = this.writer.close().catch(() => undefined);
    } else {
      this.closing = this.enqueueTask(() => this.writer.close()).then(() => undefined);
    }
    return this.closing;
  }

  private refusal(): Error | undefined {
    if (this.fatalError !== undefined) return this.fatalError;
    if (this.closing !== undefined) return new Error("commit log is closed");
    if (this.faultedFlag) {
      return new StorageFaultedError("commit log is storage-faulted (S4): reset it first");
    }
    return undefined;
  }

  private enqueueEntries(entries: readonly RawEntry[], raw: boolean): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (entries.length === 0) return Promise.resolve();
    if (this.queuedEntries + entries.length > queueEntriesMax) {
      return Promise.reject(new Error(`append: more than ${queueEntriesMax} entries queued`));
    }
    const items: EntryItem[] = [];
    let prev: LogPosition = { index: this.runs.lastIndex, epoch: this.runs.lastEpoch };
    for (const e of entries) {
      const bytes = Buffer.byteLength(e.json);
      const problem = entryProblem(e, prev, bytes, raw);
      if (problem !== undefined) return Promise.reject(new Error(`append: ${problem}`));
      items.push({ kind: "entry", index: e.index, epoch: e.epoch, json: e.json, bytes });
      prev = e;
    }
    return new Promise((resolve, reject) => {
      (items[items.length - 1] as EntryItem).done = { resolve, reject };
      for (const item of items) {
        this.queue.push(item);
        this.runs.push(item.index, item.epoch);
      }
      this.queuedEntries += items.length;
      this.schedule();
    });
  }

  private enqueueTask(run: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: "task", run, done: { resolve, reject } });
      this.schedule();
    });
  }

  /** Starts the flusher after the current tick, so appends made together share a batch. */
  private schedule(): void {
    if (this.flushState !== "idle") return;
    this.flushState = "scheduled";
    queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushState = "running";
    try {
      // Bounded: every turn takes at least one item off the queue.
      while (this.queue.length > 0 && this.fatalError === undefined) {
        const head = this.queue.peek() as Item;
        if (head.kind === "task") {
          this.queue.shift();
          this.inFlight = [head];
          const value = await head.run();
          this.inFlight = [];
          head.done.resolve(value);
          continue;
        }
        const batch = this.takeBatch();
        this.inFlight = batch;
        await this.writeBatch(batch);
        this.inFlight = [];
        for (const item of batch) item.done?.resolve(undefined);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.flushState = "idle";
    }
  }

  /** A truncate record alone, or consecutive entries within the batch bounds. */
  private takeBatch(): (EntryItem | TruncateItem)[] {
    const first = this.queue.shift() as EntryItem | TruncateItem;
    if (first.kind === "truncate") return [first];
    const batch: EntryItem[] = [first];
    let bytes = first.bytes;
    // Bounded by batchEntriesMax.
    for (;;) {
      const next = this.queue.peek();
      if (next?.kind !== "entry" || batch.length >= batchEntriesMax) break;
      if (bytes + next.bytes > batchBytesMax) break;
      this.queue.shift();
      batch.push(next);
      bytes += next.bytes;
    }
    this.queuedEntries -= batch.length;
    return batch;
  }

  private async writeBatch(batch: readonly (EntryItem | TruncateItem)[]): Promise<void> {
    const last = batch[batch.length - 1] as EntryItem | TruncateItem;
    const lastIndex = last.kind === "entry" ? last.index : last.after;
    const records = batch.map((item) =>
      item.kind === "entry" ? item.json : truncateJson(item.after),
    );
    await this.writer.writeBatch(records, lastIndex, this.durable);
    this.durable = { index: lastIndex, epoch: last.epoch };
  }

  /** S2: the first I/O error poisons the log; everything pending and later rejects. */
  private fail(error: unknown): void {
    this.fatalError = error instanceof StorageFatalError ? error : fatal("commit log write", error);
    const pending = [...this.inFlight, ...this.queue.drain()];
    this.inFlight = [];
    this.queuedEntries = 0;
    for (const item of pending) item.done?.reject(this.fatalError);
  }
}

function entryProblem(
  e: RawEntry,
  prev: LogPosition,
  bytes: number,
  raw: boolean,
): string | undefined {
  if (e.index !== prev.index + 1) return `index ${e.index} does not follow ${prev.index}`;
  if (!Number.isSafeInteger(e.epoch) || e.epoch < prev.epoch) {
    return `epoch ${e.epoch} at ${e.index} is below ${prev.epoch}`;
  }
  if (bytes > recordBytesMax) return `entry ${e.index} is ${bytes} bytes (max ${recordBytesMax})`;
  if (raw) {
    const prefix = `{"index":${e.index},"epoch":${e.epoch}`;
    const next = e.json[prefix.length];
    if (!e.json.startsWith(prefix) || (next !== "," && next !== "}")) {
      return `raw entry ${e.index} must start with ${prefix}`;
    }
    if (e.json.includes("\n")) return `raw entry ${e.index} contains a newline`;
  }
  return undefined;
}

function entriesAfter<E extends LogEntry>(
  st: { entries: E[]; baseIndex: number },
  afterIndex: number | undefined,
): E[] {
  const skip = (afterIndex ?? st.baseIndex) - st.baseIndex;
  return skip > 0 ? st.entries.slice(skip) : st.entries;
}
