// Node-to-node transport for the replication core: ReplicaService streams over grpc-js,
// guarded by the cluster secret and, with TLS, by mutual TLS (a caller must present a
// certificate the cluster CA signed). Per peer there are two outbound streams on two dedicated
// channels — control (pings, votes, step-downs) and data (appends, snapshots) — so bulk
// catch-up traffic never delays liveness traffic (R7). Messages are JSON; a large one is
// split into parts below the receive limit (R1). A snapshot is not a message but a file
// streamed in frames as the stream drains (`sendSnapshot`; receiving end: snapshot-transfer.ts),
// so no end holds it whole. A broken stream drops what was in it: the protocol tolerates loss
// and retransmits.
import { timingSafeEqual, createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import {
  addService,
  clientFor,
  DeliverResponseSchema,
  ReplicaEnvelopeSchema,
  ReplicaService,
  SnapshotFrame,
  type ReplicaEnvelope,
  type TypedClient,
} from "@chat-tui/proto";
import type { NodeAddress } from "../config.js";
import { replicaMessageBytesMax } from "../limits.js";
import type { Logger } from "../logger.js";
import { bind } from "./servers.js";
import { InboundSnapshot, type SnapshotInbox } from "./snapshot-transfer.js";
import type { NodeCredentials } from "./tls.js";

export const secretMetadataKey = "chat-cluster-secret";
export type Channel = "control" | "data";

/** Parts of a split message stay well below the receive limit. */
const partBytesMax = 1024 * 1024;
/** A split message (not a snapshot: that streams to disk) is dropped with its stream past this. */
const splitMessageBytesMax = 256 * 1024 * 1024;
/** Distinct (peer host, reason) refusals remembered, so each is logged once. */
const refusedPeersMax = 1_000;
/** Bytes buffered on one outbound stream before it is reset (its messages are dropped). */
const queuedBytesMax = 64 * 1024 * 1024;

const channelOptions: grpc.ChannelOptions = {
  // R7: reconnect fast; the grpc-js default backoff (1 s ×1.6 up to 120 s) hides a live peer.
  "grpc.initial_reconnect_backoff_ms": 10,
  "grpc.max_reconnect_backoff_ms": 100,
  "grpc.use_local_subchannel_pool": 1,
  "grpc.max_receive_message_length": replicaMessageBytesMax,
  "grpc.max_send_message_length": replicaMessageBytesMax,
  "grpc.keepalive_time_ms": 5_000,
  "grpc.keepalive_timeout_ms": 2_000,
  "grpc.keepalive_permit_without_calls": 1,
};

const ReplicaClient = clientFor(ReplicaService);

class Link {
  private readonly client: TypedClient<typeof ReplicaService.method>;
  private stream: grpc.ClientWritableStream<ReplicaEnvelope> | undefined;
  private queuedBytes = 0;
  /** Snapshot transfers started on this link; the latest one is the live one. */
  private transfers = 0;

  constructor(
    private readonly from: number,
    private readonly peer: NodeAddress,
    private readonly secret: string,
    credentials: grpc.ChannelCredentials,
    private readonly onLost: () => void,
  ) {
    this.client = new ReplicaClient(`${peer.host}:${peer.replicaPort}`, credentials, channelOptions);
  }

  send(payload: Buffer): void {
    const stream = this.open();
    for (let offset = 0; offset < payload.length || offset === 0; offset += partBytesMax) {
      const part = payload.subarray(offset, offset + partBytesMax);
      const more = offset + partBytesMax < payload.length;
      this.queuedBytes += part.length;
      stream.write(create(ReplicaEnvelopeSchema, { from: this.from, to: this.peer.id, payload: part, more }),
        () => {
          this.queuedBytes -= part.length;
        });
      if (!more) break;
    }
    if (this.queuedBytes > queuedBytesMax) this.reset();
  }

  /**
   * Streams a snapshot file (R19): BEGIN with `begin` (the core message without its data), one
   * CHUNK per chunk as the stream drains, yielding to the loop between them (a long synchronous
   * run trips the self-pause guard, R8), then END. Another `sendSnapshot` on this link
   * supersedes this one (it sends ABORT and stops). Resolves true once END is queued, false
   * when the stream broke or the transfer was superseded (the protocol asks again).
   */
  async sendSnapshot(begin: Uint8Array, chunks: AsyncIterable<Uint8Array>): Promise<boolean> {
    const stream = this.open();
    const transfer = ++this.transfers;
    const live = (): boolean => this.stream === stream && this.transfers === transfer;
    const frame = (snapshotFrame: SnapshotFrame, payload?: Uint8Array): Promise<boolean> => {
      const fields = payload ? { snapshotFrame, transfer, payload } : { snapshotFrame, transfer };
      return this.writeFrame(stream, fields).then(live);
    };
    if (!(await frame(SnapshotFrame.BEGIN, begin))) return false;
    let complete = false;
    try {
      for await (const chunk of chunks) {
        if (!(await frame(SnapshotFrame.CHUNK, chunk))) return false;
      }
      complete = await frame(SnapshotFrame.END);
      return complete;
    } finally {
      // Superseded or failed while the stream lives on: the receiver drops its temp file now.
      if (!complete && this.stream === stream) {
        void this.writeFrame(stream, { snapshotFrame: SnapshotFrame.ABORT, transfer });
      }
    }
  }

  /** Writes one envelope, then waits for the stream to drain or for the next loop turn. */
  private async writeFrame(
    stream: grpc.ClientWritableStream<ReplicaEnvelope>,
    fields: { snapshotFrame: SnapshotFrame; transfer: number; payload?: Uint8Array },
  ): Promise<void> {
    const bytes = fields.payload?.length ?? 0;
    this.queuedBytes += bytes;
    const { from, peer } = this;
    const envelope = create(ReplicaEnvelopeSchema, { from, to: peer.id, ...fields });
    const open = stream.write(envelope, () => {
      this.queuedBytes -= bytes;
    });
    if (!open) await drained(stream);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private open(): grpc.ClientWritableStream<ReplicaEnvelope> {
    if (this.stream) return this.stream;
    const metadata = new grpc.Metadata();
    metadata.set(secretMetadataKey, this.secret);
    const stream = this.client.deliver(metadata, {}, (err) => {
      if (this.stream === stream) this.stream = undefined;
      if (err?.code === grpc.status.UNAVAILABLE) this.onLost();
    });
    stream.on("error", () => {
      if (this.stream === stream) this.stream = undefined;
    });
    this.stream = stream;
    this.queuedBytes = 0;
    return stream;
  }

  reset(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.queuedBytes = 0;
    stream?.cancel();
  }

  close(): void {
    this.reset();
    this.client.close();
  }
}

/** Resolves when `stream` can take more, or has ended or failed (the caller checks which). */
function drained(stream: grpc.ClientWritableStream<ReplicaEnvelope>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("error", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("error", done);
    stream.once("close", done);
  });
}

export interface TransportOptions {
  self: NodeAddress;
  peers: NodeAddress[];
  secret: string;
  log: Logger;
  /** A complete message from a peer (already authenticated by the secret). */
  onMessage(from: number, payload: Buffer): void;
  /** A stream to or from `peer` broke (its process may be gone): a hint to probe it now. */
  onPeerLost(peer: number): void;
  /** A peer begins streaming a snapshot file: where its bytes go (snapshot-transfer.ts). */
  onSnapshot: SnapshotInbox;
  /** The node's TLS credentials (read once at start-up, tls.ts). */
  credentials: NodeCredentials;
}

export class ReplicaTransport {
  private readonly links = new Map<string, Link>();
  private readonly server = new grpc.Server({
    "grpc.max_receive_message_length": replicaMessageBytesMax,
    "grpc.keepalive_time_ms": 5_000,
    "grpc.keepalive_timeout_ms": 2_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 1_000,
  });
  private readonly secretDigest: Buffer;
  private readonly refusedPeers = new Set<string>();
  private readonly credentials: NodeCredentials;

  constructor(private readonly options: TransportOptions) {
    this.secretDigest = secretDigestOf(options.secret);
    this.credentials = options.credentials;
    for (const peer of options.peers) {
      for (const channel of ["control", "data"] as const) {
        this.links.set(`${peer.id}/${channel}`,
          new Link(options.self.id, peer, options.secret, this.credentials.replicaChannel(),
            () => options.onPeerLost(peer.id)));
      }
    }
    addService(this.server, ReplicaService, { deliver: (call, callback) => this.accept(call, callback) });
  }

  async start(): Promise<void> {
    const { host, replicaPort } = this.options.self;
    await bind(this.server, `${host}:${replicaPort}`, this.credentials.replicaServer);
  }

  /** `payload` (a message's bytes) is only read, so one buffer may go to several peers. */
  send(to: number, payload: Buffer, channel: Channel): void {
    this.links.get(`${to}/${channel}`)?.send(payload);
  }

  /** A snapshot file to `to` on the data channel, as the stream drains (Link.sendSnapshot). */
  sendSnapshot(to: number, begin: Uint8Array, chunks: AsyncIterable<Uint8Array>): Promise<boolean> {
    const link = this.links.get(`${to}/data`);
    return link ? link.sendSnapshot(begin, chunks) : Promise.resolve(false);
  }

  /** Drops whatever is queued to `to` (e.g. when the peer restarted). */
  reset(to: number): void {
    for (const channel of ["control", "data"]) this.links.get(`${to}/${channel}`)?.reset();
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    this.server.forceShutdown();
  }

  private accept(
    call: grpc.ServerReadableStream<ReplicaEnvelope, unknown>,
    callback: grpc.sendUnaryData<ReturnType<typeof create<typeof DeliverResponseSchema>>>,
  ): void {
    const refusal = this.refusal(call);
    if (refusal) {
      // Logged once per peer host and reason (not per port: a retrying peer reconnects from
      // new ports, and a log line per attempt would let a stranger fill the disk).
      const who = call.getPeer().replace(/:\d+$/, "");
      if (!this.refusedPeers.has(`${who} ${refusal}`) && this.refusedPeers.size < refusedPeersMax) {
        this.refusedPeers.add(`${who} ${refusal}`);
        this.options.log.warn({ peer: who }, `refused a replica stream: ${refusal}`);
      }
      callback({ code: grpc.status.PERMISSION_DENIED, details: refusal });
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let sender: number | undefined;
    const snapshot = new InboundSnapshot(this.options.onSnapshot, this.options.log);
    call.on("data", (envelope: ReplicaEnvelope) => {
      sender = envelope.from;
      if (envelope.snapshotFrame !== SnapshotFrame.NONE) {
        // Written to disk before the next envelope is read: the stream's flow control holds
        // the sender back, and messages behind the frame keep their order.
        call.pause();
        void snapshot.onFrame(envelope).then(() => call.resume());
        return;
      }
      const part = envelope.payload; // kept as a view of the received message, not copied
      parts.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
      size += envelope.payload.length;
      if (envelope.more) {
        if (size > splitMessageBytesMax) call.destroy(new Error("split message too large"));
        return;
      }
      const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      parts.length = 0;
      size = 0;
      this.options.onMessage(envelope.from, payload);
    });
    call.on("end", () => {
      void snapshot.close("the stream ended mid-transfer");
      callback(null, create(DeliverResponseSchema));
    });
    // A stream that only errors or closes (a destroyed call) drops its transfer as well; close
    // is idempotent, so the later of these events finds nothing to drop.
    call.on("error", () => void snapshot.close("the stream failed mid-transfer"));
    call.on("close", () => void snapshot.close("the stream closed mid-transfer"));
    // The inbound stream breaks within milliseconds of its sender's death (socket closed).
    call.on("cancelled", () => {
      void snapshot.close("the stream broke mid-transfer");
      const peer = this.options.peers.find((p) => p.id === sender);
      if (peer) this.options.onPeerLost(peer.id);
    });
  }

  /** Why a replica call may not deliver, or undefined when it may. */
  private refusal(call: grpc.ServerReadableStream<ReplicaEnvelope, unknown>): string | undefined {
    if (this.credentials.mutualTls && call.getAuthContext().sslPeerCertificate === undefined) {
      return "no client certificate signed by the cluster CA";
    }
    if (!holdsSecret(call.metadata, this.secretDigest)) return "wrong or missing cluster secret";
    return undefined;
  }
}

/** The SHA-256 of a cluster secret, for `holdsSecret`. */
export function secretDigestOf(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

/** Whether a call's metadata carries the cluster secret (compared in constant time). */
export function holdsSecret(metadata: grpc.Metadata, secretDigest: Buffer): boolean {
  const offered = metadata.get(secretMetadataKey)[0];
  return typeof offered === "string" && timingSafeEqual(secretDigestOf(offered), secretDigest);
}
