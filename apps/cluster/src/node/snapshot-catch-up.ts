// Catch-up by snapshot (R19) on the host's side, between the core and the snapshot files.
// Sending (`send-snapshot`): the latest durable snapshot FILE is streamed from disk to the
// peer, one transfer per peer at a time. Receiving: a transfer's bytes go to a temp file in
// the snapshot dir (SnapshotStore.receive), verified as they arrive; only a complete, verified
// file reaches the core, as the `data` of its install-snapshot message, and the core's
// `install-snapshot` action then `claim`s it for NodeStorage.install. A file the core does not
// install, a damaged one and one cut short are removed; one left by a crash is removed at open.
import type { Message as CoreMessage, NodeId, SnapshotMeta } from "@chat-tui/replication";
import type { ReceivedSnapshot, SnapshotReceiver } from "@chat-tui/storage";
import type { Logger } from "../logger.js";
import { snapshotTransfersInMax } from "../limits.js";
import { decodeMessage, encodeMessage } from "./entry-json.js";
import type { NodeStorage, SnapshotExtra } from "./node-storage.js";
import type { SnapshotInbox, SnapshotSink } from "./snapshot-transfer.js";

type InstallMessage = CoreMessage & { kind: "install-snapshot" };

export interface CatchUpHost {
  storage: NodeStorage;
  log: Logger;
  /** Bytes per CHUNK frame (limits.ts `snapshotPartBytes`, or the cluster's override). */
  partBytes: number;
  isPeer(id: NodeId): boolean;
  /** Streams a file to a peer (ReplicaTransport.sendSnapshot). */
  sendFile(to: NodeId, begin: Uint8Array, chunks: AsyncIterable<Uint8Array>): Promise<boolean>;
  /** Hands a peer's message to the core (synchronously: its actions run before it returns). */
  deliver(from: NodeId, msg: CoreMessage): void;
  /** A write or fsync failed (S2): the process must exit. */
  storageFailed(err: unknown): never;
}

export class SnapshotCatchUp {
  /** Per peer: the snapshot index being sent to it. */
  private readonly sending = new Map<NodeId, number>();
  /** Transfers being received now (bounded by `snapshotTransfersInMax`). */
  private receiving = 0;
  /** Received files handed to the core and not (yet) claimed by an install. */
  private readonly unclaimed = new Set<ReceivedSnapshot>();

  constructor(private readonly host: CatchUpHost) {}

  /** `send-snapshot`: streams the snapshot file at `msg.snapshot.index` to `to`. */
  async send(to: NodeId, msg: CoreMessage): Promise<void> {
    if (msg.kind !== "install-snapshot") return;
    const index = msg.snapshot.index;
    // The core asks again every SNAPSHOT_RESEND_MS; a transfer of it already under way answers.
    if (this.sending.get(to) === index) return;
    // Taken before the file is opened, so a repeat asked meanwhile does not start a second one.
    this.sending.set(to, index);
    const source = await this.host.storage.snapshotSource(index).catch(() => undefined);
    if (!source) {
      // A newer snapshot replaced it; the core asks again.
      if (this.sending.get(to) === index) this.sending.delete(to);
      return;
    }
    const { log } = this.host;
    const started = performance.now();
    try {
      const begin = encodeMessage(withoutData(msg));
      const sent = await this.host.sendFile(to, begin, source.chunks(this.host.partBytes));
      const ms = Math.round(performance.now() - started);
      const fields = { to, index, bytes: source.bytes, ms };
      if (sent) log.info(fields, "snapshot sent");
      else log.info(fields, "snapshot transfer cut short (the core asks again)");
    } catch (err) {
      log.warn({ err, to, index }, "snapshot transfer failed (the core asks again)");
    } finally {
      await source.close().catch(() => undefined);
      if (this.sending.get(to) === index) this.sending.delete(to);
    }
  }

  /** The transport's inbox: accepts a transfer whose BEGIN is a peer's install-snapshot. */
  readonly inbox: SnapshotInbox = async (from, header) => {
    const msg = this.installMessage(from, header);
    if (msg === undefined) return undefined;
    if (this.receiving >= snapshotTransfersInMax) {
      this.host.log.warn({ from }, "refused a snapshot transfer: too many at once");
      return undefined;
    }
    this.receiving++;
    let receiver: SnapshotReceiver;
    try {
      receiver = await this.host.storage.receiveSnapshot(msg.snapshot);
    } catch (err) {
      this.receiving--;
      return this.host.storageFailed(err);
    }
    return this.sink(from, msg, receiver);
  };

  /** `install-snapshot`: the received file the action's data refers to, now the install's. */
  claim(data: unknown): ReceivedSnapshot {
    const received = data as ReceivedSnapshot;
    if (!this.unclaimed.delete(received)) {
      throw new Error("install-snapshot of a file never received");
    }
    return received;
  }

  private installMessage(from: NodeId, header: Uint8Array): InstallMessage | undefined {
    let msg: CoreMessage;
    try {
      msg = decodeMessage(Buffer.from(header));
    } catch {
      this.host.log.warn({ from }, "refused a snapshot transfer: unreadable header");
      return undefined;
    }
    if (msg.kind !== "install-snapshot" || msg.from !== from || !this.host.isPeer(from)) {
      this.host.log.warn({ from, kind: msg.kind, claimed: msg.from },
        "refused a snapshot transfer: not an install from a peer");
      return undefined;
    }
    const { index, epoch } = (msg.snapshot ?? {}) as Partial<SnapshotMeta>;
    if (!isPosition(index) || !isPosition(epoch)) {
      this.host.log.warn({ from }, "refused a snapshot transfer: no snapshot position");
      return undefined;
    }
    return msg;
  }

  private sink(from: NodeId, msg: InstallMessage, receiver: SnapshotReceiver): SnapshotSink {
    const started = performance.now();
    let chunks = 0;
    let finished = false;
    const done = (): void => {
      if (!finished) this.receiving--;
      finished = true;
    };
    const guard = <T>(work: Promise<T>): Promise<T> =>
      work.catch((err: unknown) => this.host.storageFailed(err));
    return {
      write: async (chunk) => {
        chunks++;
        const problem = await guard(receiver.write(chunk));
        if (problem !== undefined) done();
        return problem;
      },
      end: async () => {
        done();
        const received = await guard(receiver.finish());
        const ms = Math.round(performance.now() - started);
        const fields = { from, index: msg.snapshot.index, chunks, ms };
        if (typeof received === "string") {
          this.host.log.warn({ ...fields, problem: received }, "damaged snapshot transfer dropped");
          return;
        }
        this.host.log.info({ ...fields, bytes: received.bytes }, "snapshot received");
        await this.deliver(from, msg, received);
      },
      abort: async (reason) => {
        done();
        await guard(receiver.abort());
        const fields = { from, index: msg.snapshot.index, chunks, reason };
        this.host.log.info(fields, "snapshot transfer dropped");
      },
    };
  }

  /** Steps the core with the install; a file it did not take is removed at once. */
  private async deliver(from: NodeId, msg: InstallMessage, received: ReceivedSnapshot):
    Promise<void> {
    const extra = received.header as Partial<SnapshotExtra> | null;
    const kept = extra?.replication as SnapshotMeta | undefined;
    const s = msg.snapshot;
    if (kept?.index !== s.index || kept.epoch !== s.epoch || kept.ts !== s.ts) {
      const fields = { from, index: s.index };
      this.host.log.warn(fields, "snapshot transfer dropped: its file does not match the message");
      await this.host.storage.discardReceived(received);
      return;
    }
    this.unclaimed.add(received);
    this.host.deliver(from, { ...msg, data: received });
    if (!this.unclaimed.delete(received)) return;
    await this.host.storage.discardReceived(received);
    const fields = { from, index: s.index };
    this.host.log.info(fields, "received snapshot not installed (not ahead of this node)");
  }
}

function isPosition(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function withoutData(msg: InstallMessage): InstallMessage {
  const { data: _data, ...rest } = msg;
  return rest;
}
