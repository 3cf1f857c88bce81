// The pipeline of a cluster of one: a command is committed once its log entry is fsynced
// (group commit), then applied in index order. No replication; the replicated pipeline
// replaces this when the cluster has more than one node.
import {
  type ChatState,
  type Command,
  type CommandOutcome,
  stateDigest,
} from "@chat-tui/chat-state";
import type { ClusterView, Pipeline, PipelineEvents } from "./pipeline.js";
import { Listeners } from "./pipeline.js";
import { NotServingError } from "./errors.js";
import { LogClock } from "./log-clock.js";
import { appliedMessages, sessionsChanged, type NodeStorage, type CmdEntry } from "./node-storage.js";
import { proposalsInFlightMax } from "../limits.js";
import type { Logger } from "../logger.js";

export class SingleNodePipeline implements Pipeline {
  private readonly listeners = new Listeners();
  private readonly clock: LogClock;
  private lastIndex: number;
  private lastTs: number;
  private applied: number;
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly storage: NodeStorage,
    private readonly self: { id: number; address: string },
    private readonly log: Logger,
  ) {
    this.lastIndex = storage.lastIndex;
    this.applied = storage.lastIndex;
    this.lastTs = storage.lastTs;
    this.clock = new LogClock(storage.lastTs);
  }

  get state(): ChatState {
    return this.storage.state;
  }

  notServing(): NotServingError | undefined {
    return this.closed ? new NotServingError("node is shutting down", undefined) : undefined;
  }

  logTimeNow(): number {
    return this.clock.now();
  }

  epoch(): number {
    return this.storage.epoch;
  }

  commitIndex(): number {
    return this.applied;
  }

  recoverUnclean(): { role: "primary"; waitReason: string } {
    return { role: "primary", waitReason: "a single node never waits for others" };
  }

  stateDigest(): { appliedIndex: number; digest: string } {
    return { appliedIndex: this.applied, digest: stateDigest(this.state) };
  }

  cluster(): ClusterView {
    const role = this.closed ? "down" : "primary";
    return {
      epoch: this.epoch(),
      primaryId: this.closed ? -1 : this.self.id,
      reporterId: this.self.id,
      nodes: [{
        id: this.self.id, address: this.self.address, role, epoch: this.epoch(),
        commitIndex: this.applied, lastIndex: this.lastIndex, inView: true, loading: false,
      }],
    };
  }

  async readBarrier(): Promise<void> {
    const reason = this.notServing();
    if (reason) throw reason;
  }

  async propose<C extends Command>(command: C): Promise<CommandOutcome<C["kind"]>> {
    const reason = this.notServing();
    if (reason) throw reason;
    if (this.inFlight >= proposalsInFlightMax) {
      return { ok: false, error: { kind: "resource-exhausted", message: "node is overloaded; retry" } };
    }
    this.inFlight++;
    const ts = this.clock.stamp(this.lastTs);
    this.lastTs = ts;
    const entry: CmdEntry = { index: ++this.lastIndex, epoch: this.epoch(), ts, kind: "cmd", payload: command };
    try {
      await this.storage.append([entry]);
    } catch (err) {
      // S2: an fsync or write error is a crash; never retry, never answer.
      this.log.fatal({ err }, "log write failed; exiting");
      process.exit(1);
    } finally {
      this.inFlight--;
    }
    return this.apply(entry) as CommandOutcome<C["kind"]>;
  }

  private apply(entry: CmdEntry): CommandOutcome {
    if (entry.index !== this.applied + 1) {
      throw new Error(`apply out of order: ${entry.index} after ${this.applied}`);
    }
    const outcome = this.storage.apply(entry);
    this.applied = entry.index;
    this.listeners.emit("applied", appliedMessages(entry, outcome), sessionsChanged(entry));
    this.listeners.emit("clusterChanged");
    return outcome;
  }

  on<E extends keyof PipelineEvents>(event: E, listener: PipelineEvents[E]): () => void {
    return this.listeners.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.emit("servingChanged", false);
    await this.storage.close();
  }
}
