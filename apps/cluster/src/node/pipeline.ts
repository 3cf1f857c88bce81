// The seam between the RPC layer and the state machine. The RPC layer reads committed state
// and proposes commands; a pipeline decides when a command is committed and applies it.
// SingleNodePipeline persists and applies; the replicated pipeline puts the replication
// core in between. Neither the RPC layer nor chat-state knows which one runs.
import type { ChatState, Command, CommandOutcome, Message } from "@chat-tui/chat-state";
import type { NotServingError } from "./errors.js";

export type Role = "primary" | "backup" | "candidate" | "joining" | "recovering" | "down";

export interface NodeView {
  id: number;
  address: string;
  role: Role;
  epoch: number;
  commitIndex: number;
  lastIndex: number;
  inView: boolean;
  /** Restoring, installing or catching up its state (refinement 22). */
  loading: boolean;
}

export interface ClusterView {
  epoch: number;
  /** -1 when this node knows no primary. */
  primaryId: number;
  reporterId: number;
  nodes: NodeView[];
}

export interface PipelineEvents {
  /** Messages applied, in seq order (after the commands that created them committed). */
  applied(messages: readonly Message[], sessionsChanged: boolean): void;
  /** This node stopped or started serving clients: open streams must end. */
  servingChanged(serving: boolean): void;
  /** Anything in the cluster view changed (role, epoch, commit index, membership); read it
   * with `cluster()` (not computed here: this fires on every commit). */
  clusterChanged(): void;
}

export interface Pipeline {
  /** Committed, applied state; read it only while `notServing()` is undefined. */
  readonly state: ChatState;
  /** undefined when this node serves clients, else why not (throw it). */
  notServing(): NotServingError | undefined;
  /** Log time now (R1): a monotonic clock continued across primaries, for session expiry. */
  logTimeNow(): number;
  epoch(): number;
  commitIndex(): number;
  /** The applied index and a hash of the state there (O(state): for checkers, not hot paths). */
  stateDigest(): { appliedIndex: number; digest: string };
  cluster(): ClusterView;
  /** R18's operator override (ClusterService.Recover); answers the role and what recovery waits for. */
  recoverUnclean(): { role: Role; waitReason: string };
  /** A linearizable read point (R24): resolves when the committed state may be read. */
  readBarrier(): Promise<void>;
  /** Resolves with the command's outcome once committed and applied. */
  propose<C extends Command>(command: C): Promise<CommandOutcome<C["kind"]>>;
  on<E extends keyof PipelineEvents>(event: E, listener: PipelineEvents[E]): () => void;
  close(): Promise<void>;
}

/** A tiny typed listener list shared by pipelines. */
export class Listeners {
  private readonly map = new Map<keyof PipelineEvents, Set<(...args: never[]) => void>>();

  on<E extends keyof PipelineEvents>(event: E, listener: PipelineEvents[E]): () => void {
    let set = this.map.get(event);
    if (!set) this.map.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return () => set.delete(listener as (...args: never[]) => void);
  }

  emit<E extends keyof PipelineEvents>(event: E, ...args: Parameters<PipelineEvents[E]>): void {
    for (const listener of this.map.get(event) ?? []) {
      (listener as unknown as (...a: Parameters<PipelineEvents[E]>) => void)(...args);
    }
  }
}
