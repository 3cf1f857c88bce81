// Finds the primary and keeps watching the cluster. Discovery asks every known node for its
// ClusterStatus at once and settles on the first answer that names a primary (stale epochs
// are ignored by the view). The watcher keeps one WatchCluster stream open on some node,
// moves to another when it breaks, and probes the watched node with GetStatus because a
// WatchCluster stream is silent while nothing changes (a SIGSTOPped node looks healthy).
import { setMaxListeners } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  GetStatusRequestSchema,
  WatchClusterRequestSchema,
  type ClusterStatus,
} from "@chat-tui/proto";
import { backoffMs, sleep } from "./backoff.js";
import { epochOf, primaryHintOf, toStatusReport, type StatusReport } from "./codec.js";
import { ClusterView } from "./cluster-view.js";
import { describeError, isRetryableStatus, isServiceError } from "./errors.js";
import { statusTimeoutMsMax, watchHealthyMs, watchProbeIntervalMs } from "./limits.js";
import { NodePool } from "./node-pool.js";
import { probeTls } from "./tls-probe.js";

/** Where to send the next attempt, and whether any node answered while finding it. */
export interface Target {
  address: string;
  /** Set when no node answered discovery: why the last one failed. */
  offlineReason?: string | undefined;
  /** Nodes answered discovery and none named a primary (an election is under way): `address`
   *  is only a guess, and a call there would fail. */
  electing?: boolean;
}

interface WatchOutcome {
  /** The stream ended with OK (the server closed it); else the watch moves to the next node. */
  ok: boolean;
  /** The watched node became the primary: watch another (`watchTarget`), at once. */
  moved: boolean;
  received: boolean;
  /** The node did not answer (refused, dropped, silent): evidence for `offline`. */
  unreachable: boolean;
  reason: string;
}

interface Discovery {
  primary: string | undefined;
  answered: number;
  reason: string;
}

export class Router {
  readonly view: ClusterView;
  readonly pool: NodePool;
  private readonly closing = new AbortController();
  private discovery: Promise<Discovery> | undefined;
  private nextIndex = 0;
  private watchIndex = 0;
  /** Per address, what a TLS probe found wrong (e.g. "speaks TLS: give the CA"). */
  private readonly tlsMismatch = new Map<string, string>();
  private readonly tlsProbes = new Set<string>();

  constructor(
    seeds: readonly string[],
    private readonly attemptTimeoutMs: number,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    /** The CA the client trusts (TLS), for the TLS probe. */
    private readonly tlsCa?: Buffer,
  ) {
    this.view = new ClusterView(seeds);
    this.pool = new NodePool(credentials);
    // Every call, stream and wait in flight listens for close(); they are many, not a leak.
    setMaxListeners(0, this.closing.signal);
  }

  /** Aborts when the client closes. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  start(): void {
    void this.watchLoop();
  }

  close(): void {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.view.close();
    this.pool.close();
  }

  /** The current primary, else the outcome of a discovery round, else the next node in turn
   *  (a backup answers with a redirect, so trying it is how a primary is found too). */
  async resolve(deadlineAt: number): Promise<Target> {
    const known = this.view.primary();
    if (known !== undefined) return { address: known };
    const timeoutMs = Math.min(statusTimeoutMsMax, this.attemptTimeoutMs, deadlineAt - Date.now());
    this.discovery ??= this.discover(Math.max(timeoutMs, 1)).finally(() => {
      this.discovery = undefined;
    });
    const found = await this.discovery;
    if (found.primary !== undefined) return { address: found.primary };
    const addresses = this.view.addresses();
    const address = addresses[this.nextIndex++ % addresses.length]!;
    if (found.answered > 0) return { address, electing: true };
    return { address, offlineReason: found.reason };
  }

  /** A retryable failure of a call on `address`: follow the redirect or mark the node.
   *  CANCELLED is ours when we abandoned the call; otherwise the server cut it (shutdown). */
  noteCallFailure(address: string, err: unknown, cancelledByUs = false): void {
    if (!isServiceError(err)) return this.view.noteFailure(address);
    const hint = primaryHintOf(err.metadata);
    if (err.code === grpc.status.CANCELLED && cancelledByUs) return;
    if (hint !== undefined) return this.view.noteRedirect(address, hint, epochOf(err.metadata));
    this.view.noteFailure(address);
  }

  getStatus(address: string, timeoutMs: number): Promise<StatusReport> {
    return new Promise((resolve, reject) => {
      const stub = this.pool.get(address).cluster;
      const options = { deadline: Date.now() + timeoutMs };
      stub.getStatus(create(GetStatusRequestSchema), new grpc.Metadata(), options, (err, res) => {
        if (err || !res) return reject(err ?? new Error("empty GetStatus answer"));
        try {
          resolve(toStatusReport(res));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  private discover(timeoutMs: number): Promise<Discovery> {
    const addresses = this.view.addresses();
    return new Promise((resolve) => {
      let pending = addresses.length;
      let answered = 0;
      let reason = "no node answered";
      const settle = (): void => {
        if (--pending > 0) return;
        resolve({ primary: this.view.primary(), answered, reason });
      };
      for (const address of addresses) {
        this.getStatus(address, timeoutMs).then(
          (report) => {
            answered += 1;
            this.view.adoptStatus(report, address);
            const primary = this.view.primary();
            if (primary !== undefined) resolve({ primary, answered, reason });
            settle();
          },
          (err: unknown) => {
            if (!this.signal.aborted) this.view.noteFailure(address);
            this.maybeProbeTls(address);
            reason = this.tlsMismatch.get(address) ?? `${address}: ${describeError(err)}`;
            settle();
          },
        );
      }
    });
  }

  /** A TLS problem found with some node (with `everywhere`, with every node), if any. */
  transportProblem(everywhere = false): string | undefined {
    if (everywhere && this.view.addresses().some((a) => !this.tlsMismatch.has(a))) return undefined;
    return this.tlsMismatch.values().next().value;
  }

  /** After a failed connection, one raw TLS handshake tells a TLS mismatch from a dead node. */
  private maybeProbeTls(address: string): void {
    if (this.tlsProbes.has(address) || this.signal.aborted) return;
    this.tlsProbes.add(address);
    void probeTls(address, this.tlsCa).then((hint) => {
      if (hint) this.tlsMismatch.set(address, hint);
      else this.tlsMismatch.delete(address);
      this.tlsProbes.delete(address);
    });
  }

  private async watchLoop(): Promise<void> {
    let failuresInRow = 0;
    let unreachableInRow = 0;
    while (!this.signal.aborted) {
      const addresses = this.view.addresses();
      // Off the primary only while watching works: after a failed watch, the next node in turn,
      // the primary included (a node the reports call up may still not answer this client).
      const avoidPrimary = failuresInRow === 0;
      if (avoidPrimary) this.watchIndex = this.watchTarget(addresses);
      const address = addresses[this.watchIndex % addresses.length]!;
      const startedAt = Date.now();
      const outcome = await this.watchOnce(address, avoidPrimary);
      if (this.signal.aborted) return;
      if (!outcome.ok) this.watchIndex += 1;
      failuresInRow = outcome.received ? 0 : failuresInRow + 1;
      unreachableInRow = outcome.unreachable && !outcome.received ? unreachableInRow + 1 : 0;
      const rounds = Math.floor(failuresInRow / addresses.length);
      // A watch that worked for a while broke (its node died?): watch the next node at once,
      // since the news of a failover comes through it. Anything else backs off.
      const healthyBreak = !outcome.ok && outcome.received && Date.now() - startedAt >= watchHealthyMs;
      const waitMs = healthyBreak || outcome.moved ? 0 : backoffMs(rounds);
      if (outcome.unreachable) this.maybeProbeTls(address);
      if (unreachableInRow >= addresses.length) {
        this.view.noteOffline(waitMs, this.transportProblem() ?? outcome.reason);
      }
      await sleep(waitMs, this.signal);
    }
  }

  /**
   * Where to watch (an index into `addresses`, from `watchIndex` on): the next node in turn
   * that is neither the primary nor reported down, else the primary (all others down), else
   * the next in turn. The news of a failover comes from the survivors, and a SIGSTOPped
   * primary's stream only goes silent: a watch on it would hear of the new primary only once a
   * probe timed out (up to `watchProbeIntervalMs` + an attempt later).
   */
  private watchTarget(addresses: readonly string[]): number {
    const primary = this.view.primary();
    const down = new Set(this.view.state().nodes.filter((n) => n.role === "down").map((n) => n.address));
    let primaryAt: number | undefined;
    for (let i = this.watchIndex; i < this.watchIndex + addresses.length; i++) {
      const address = addresses[i % addresses.length]!;
      if (address === primary) primaryAt = i;
      else if (!down.has(address)) return i;
    }
    return primaryAt !== undefined && !down.has(primary!) ? primaryAt : this.watchIndex;
  }

  /** One WatchCluster stream on `address`, until it ends, fails, its node stops answering or
   *  (with `leavePrimary`) becomes the primary while another node is up. */
  private watchOnce(address: string, leavePrimary: boolean): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      const stream = this.pool.get(address).cluster.watchCluster(create(WatchClusterRequestSchema));
      let received = false;
      let cancelled = false;
      const cancel = (): void => {
        cancelled = true;
        stream.cancel();
      };
      let probing = false;
      let unreachable = false;
      let moved = false;
      let reason = "stream ended";
      const probe = setInterval(() => {
        if (probing) return;
        probing = true;
        // A whole attempt's time: a slow answer under load is not a stopped node.
        this.getStatus(address, this.attemptTimeoutMs).then(
          (report) => void this.view.adoptStatus(report, address),
          (err: unknown) => {
            reason = `${address}: ${describeError(err)}`;
            unreachable = true;
            this.view.noteFailure(address);
            cancel();
          },
        ).finally(() => (probing = false));
      }, watchProbeIntervalMs);
      const onAbort = (): void => cancel();
      this.signal.addEventListener("abort", onAbort, { once: true });
      stream.on("data", (status: ClusterStatus) => {
        received = true;
        try {
          this.view.adoptStatus(toStatusReport(status), address);
        } catch (err) {
          reason = describeError(err);
          cancel();
          return;
        }
        const addresses = this.view.addresses();
        const target = addresses[this.watchTarget(addresses) % addresses.length];
        if (leavePrimary && this.view.primary() === address && target !== address) {
          moved = true;
          reason = `${address} became the primary`;
          cancel();
        }
      });
      stream.on("error", (err: grpc.ServiceError) => {
        if (err.code === grpc.status.CANCELLED && cancelled) return;
        reason = `${address}: ${describeError(err)}`;
        if (!isRetryableStatus(err.code) || this.signal.aborted) return;
        unreachable = true;
        this.view.noteFailure(address);
      });
      stream.on("status", (status: grpc.StatusObject) => {
        clearInterval(probe);
        this.signal.removeEventListener("abort", onAbort);
        resolve({ ok: status.code === grpc.status.OK && !moved, moved, received, unreachable, reason });
      });
    });
  }
}
