// A client built the way an outsider would: @grpc/grpc-js + @grpc/proto-loader straight from
// the .proto files in proto/, no generated code of ours. Proves the contract is self-contained.
import { after, before } from "node:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { TestCluster } from "../src/testing/harness.js";
import { fileURLToPath } from "node:url";

const protoDir = fileURLToPath(new URL("../../../proto", import.meta.url));

const definition = protoLoader.loadSync(["chat/v1/chat.proto", "chat/v1/cluster.proto"], {
  includeDirs: [protoDir],
  keepCase: true,
  longs: Number,
  defaults: true,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(definition) as unknown as {
  chat: { v1: { ChatService: grpc.ServiceClientConstructor; ClusterService: grpc.ServiceClientConstructor } };
};

export type Plain = Record<string, unknown>;

export class PlainClient {
  readonly chat: grpc.Client;
  readonly cluster: grpc.Client;
  token = "";

  constructor(address: string) {
    this.chat = new pkg.chat.v1.ChatService(address, grpc.credentials.createInsecure());
    this.cluster = new pkg.chat.v1.ClusterService(address, grpc.credentials.createInsecure());
  }

  metadata(extra: Record<string, string> = {}): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token) md.set("authorization", `Bearer ${this.token}`);
    for (const [k, v] of Object.entries(extra)) md.set(k, v);
    return md;
  }

  /** A unary call; resolves with the response or rejects with the grpc ServiceError. */
  call(method: string, request: Plain, extra: Record<string, string> = {}, on = this.chat): Promise<Plain> {
    return new Promise((resolve, reject) => {
      const fn = (on as unknown as Record<string, Function>)[method]!.bind(on);
      fn(request, this.metadata(extra), { deadline: Date.now() + 10_000 },
        (err: grpc.ServiceError | null, res: Plain) => (err ? reject(err) : resolve(res)));
    });
  }

  subscribe(afterSeq: number): grpc.ClientReadableStream<Plain> {
    return (this.chat as unknown as {
      Subscribe(req: Plain, md: grpc.Metadata): grpc.ClientReadableStream<Plain>;
    }).Subscribe({ after_seq: afterSeq }, this.metadata());
  }

  /** A SendMessages stream (requests: `{sends: [{ref, send: {to, text, client_msg_id}, request_id}]}`). */
  sendStream(): grpc.ClientDuplexStream<Plain, Plain> {
    return (this.chat as unknown as {
      SendMessages(md: grpc.Metadata): grpc.ClientDuplexStream<Plain, Plain>;
    }).SendMessages(this.metadata());
  }

  close(): void {
    this.chat.close();
    this.cluster.close();
  }
}

/** The error a call fails with (fails the test if the call succeeds). */
export async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Collects message events from a stream until `count` arrived (heartbeats skipped). */
export function collectMessages(stream: grpc.ClientReadableStream<Plain>, count: number, timeoutMs = 10_000): Promise<Plain[]> {
  return new Promise((resolve, reject) => {
    const got: Plain[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${got.length}/${count} messages arrived`)), timeoutMs);
    stream.on("data", (event: Plain) => {
      if (event.message) got.push(event.message as Plain);
      if (got.length >= count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    stream.on("error", (err) => {
      clearTimeout(timer);
      if (got.length < count) reject(err);
    });
  });
}

/**
 * Writes `sends` (`{ref, send: {to, text, client_msg_id}, request_id}`) on a SendMessages
 * stream, `perRequest` to a request; collects the results by ref and the final status.
 */
export function streamSends(
  stream: grpc.ClientDuplexStream<Plain, Plain>,
  sends: Plain[],
  { end = true, timeoutMs = 10_000, perRequest = 7 } = {},
): Promise<{ answers: Map<number, Plain>; status: grpc.StatusObject | undefined }> {
  return new Promise((resolve, reject) => {
    const answers = new Map<number, Plain>();
    const timer = setTimeout(() => reject(new Error(`${answers.size}/${sends.length} answers`)), timeoutMs);
    const done = (status: grpc.StatusObject | undefined): void => {
      clearTimeout(timer);
      resolve({ answers, status });
    };
    stream.on("data", (response: Plain) => {
      for (const result of response.results as Plain[]) answers.set(result.ref as number, result);
      if (!end && answers.size === sends.length) done(undefined);
    });
    stream.on("error", () => undefined);
    stream.on("status", (status: grpc.StatusObject) => done(status));
    for (let i = 0; i < sends.length; i += perRequest) stream.write({ sends: sends.slice(i, i + perRequest) });
    if (end) stream.end();
  });
}

/**
 * A one-node cluster for a test file: started before its tests, stopped (with every client
 * made by `client()`) after them.
 */
export function singleNode(): { cluster: () => TestCluster; client: () => PlainClient } {
  let cluster: TestCluster | undefined;
  const clients: PlainClient[] = [];
  before(async () => {
    cluster = await TestCluster.start(1);
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await cluster?.stop();
  });
  const started = (): TestCluster => {
    if (!cluster) throw new Error("the node is not started yet");
    return cluster;
  };
  return {
    cluster: started,
    client: () => {
      const c = new PlainClient(started().addresses[0]!);
      clients.push(c);
      return c;
    },
  };
}
