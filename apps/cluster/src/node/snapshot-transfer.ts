// The receiving end of a snapshot file streamed between nodes (R19). On the sender's data
// stream a transfer is a BEGIN frame (the core's install-snapshot message without its data),
// CHUNK frames (the file's bytes, each at most one part) and an END frame — or an ABORT when
// the sender gives up — all tagged with the sender's transfer number; ordinary messages may
// travel between them. `InboundSnapshot` follows the transfer of one inbound stream and hands
// its bytes to a `SnapshotSink` (the pipeline's: a temp file in the snapshot dir) as they
// arrive, so neither end holds the snapshot in memory. A BEGIN replaces an unfinished transfer;
// frames of another transfer number are stale and ignored; a stream that ends or breaks
// mid-transfer drops it. The sender is `Link.sendSnapshot` (replica-transport.ts).
import { SnapshotFrame, type ReplicaEnvelope } from "@chat-tui/proto";
import type { Logger } from "../logger.js";

/** Where the bytes of one accepted transfer go. */
export interface SnapshotSink {
  /** The next bytes of the file; a string says why the transfer is dropped (already cleaned). */
  write(chunk: Uint8Array): Promise<string | undefined>;
  /** The file is complete: verify it and hand it on (the sink logs what it decided). */
  end(): Promise<void>;
  /** The transfer is dropped: remove what arrived. */
  abort(reason: string): Promise<void>;
}

/** Accepts or refuses a transfer, given the sender's BEGIN payload. */
export type SnapshotInbox = (from: number, header: Uint8Array) => Promise<SnapshotSink | undefined>;

/** A BEGIN payload (the core message without data) is small; more is refused. */
export const snapshotBeginBytesMax = 64 * 1024;

interface Transfer {
  readonly number: number;
  readonly sink: SnapshotSink;
}

/** The snapshot transfer of one inbound stream: at most one open at a time. */
export class InboundSnapshot {
  private open: Transfer | undefined;
  /** Frames are handled one after another, in stream order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly inbox: SnapshotInbox, private readonly log: Logger) {}

  /** Handles one snapshot frame; resolves once it is done (the caller holds the stream). */
  onFrame(envelope: ReplicaEnvelope): Promise<void> {
    return this.enqueue(() => this.handle(envelope));
  }

  /** The stream ended or broke: an unfinished transfer is dropped. */
  close(reason: string): Promise<void> {
    return this.enqueue(() => this.drop(reason));
  }

  /** Not named `then`: that would make every instance a thenable. */
  private enqueue(run: () => Promise<void>): Promise<void> {
    const next = this.chain.then(run).catch((err: unknown) => {
      this.log.error({ err }, "snapshot transfer failed");
      return this.drop("failed").catch(() => undefined);
    });
    this.chain = next;
    return next;
  }

  private async handle(envelope: ReplicaEnvelope): Promise<void> {
    const { snapshotFrame: frame, transfer: number, payload } = envelope;
    if (frame === SnapshotFrame.BEGIN) {
      await this.drop("replaced by a newer transfer");
      if (payload.length > snapshotBeginBytesMax) {
        const fields = { from: envelope.from, bytes: payload.length };
        this.log.warn(fields, "refused an oversized snapshot header");
        return;
      }
      const sink = await this.inbox(envelope.from, payload);
      if (sink) this.open = { number, sink };
      return;
    }
    const open = this.open;
    if (open === undefined || open.number !== number) return; // stale: its transfer was dropped
    switch (frame) {
      case SnapshotFrame.CHUNK: {
        const problem = await open.sink.write(payload);
        if (problem === undefined) return;
        this.open = undefined;
        this.log.warn({ from: envelope.from, problem }, "snapshot transfer dropped");
        return;
      }
      case SnapshotFrame.END:
        this.open = undefined;
        await open.sink.end();
        return;
      case SnapshotFrame.ABORT:
        await this.drop("the sender gave up");
        return;
      case SnapshotFrame.NONE:
        throw new Error("an ordinary message is not a snapshot frame");
      default:
        this.log.warn({ frame }, "unknown snapshot frame ignored");
    }
  }

  private async drop(reason: string): Promise<void> {
    const open = this.open;
    this.open = undefined;
    await open?.sink.abort(reason);
  }
}
