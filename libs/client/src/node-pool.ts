// One grpc-js channel per node address, created on first use and reused by both services
// (R22 channel options: reconnect backoff 100 ms → 1 s). Bounded by `nodesMax`.
import * as grpc from "@grpc/grpc-js";
import { ChatService, ClusterService, clientFor, type TypedClient } from "@chat-tui/proto";
import { channelOptions, nodesMax } from "./limits.js";

export type ChatStub = TypedClient<typeof ChatService.method>;
export type ClusterStub = TypedClient<typeof ClusterService.method>;

export interface NodeStubs {
  address: string;
  chat: ChatStub;
  cluster: ClusterStub;
}

const ChatClientCtor = clientFor(ChatService);
const ClusterClientCtor = clientFor(ClusterService);

export class NodePool {
  private readonly stubs = new Map<string, NodeStubs & { channel: grpc.Channel }>();
  private closed = false;

  constructor(private readonly credentials = grpc.credentials.createInsecure()) {}

  get(address: string): NodeStubs {
    if (this.closed) throw new Error("NodePool used after close");
    const existing = this.stubs.get(address);
    if (existing) return existing;
    if (this.stubs.size >= nodesMax) throw new Error(`more than ${nodesMax} node addresses`);
    const channel = new grpc.Channel(address, this.credentials, { ...channelOptions });
    const options = { channelOverride: channel };
    const stubs = {
      address,
      channel,
      chat: new ChatClientCtor(address, this.credentials, options),
      cluster: new ClusterClientCtor(address, this.credentials, options),
    };
    this.stubs.set(address, stubs);
    return stubs;
  }

  close(): void {
    this.closed = true;
    for (const { channel } of this.stubs.values()) channel.close();
    this.stubs.clear();
  }
}
