// The bridge from protobuf-es v2 service descriptors to @grpc/grpc-js: a service definition
// for servers and clients, and handler/client types derived from the descriptor, so an
// implementation that forgets an RPC does not compile (grpc-js would silently answer
// UNIMPLEMENTED at run time).
import * as grpc from "@grpc/grpc-js";
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { encodeReplicaEnvelope } from "./envelope-encoder.js";
import { ReplicaEnvelopeSchema, type ReplicaEnvelope } from "./gen/chat/v1/replica_pb.js";

type Handler<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? grpc.handleUnaryCall<MessageShape<I>, MessageShape<O>>
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? grpc.handleServerStreamingCall<MessageShape<I>, MessageShape<O>>
    : M extends {
          methodKind: "client_streaming";
          input: infer I extends DescMessage;
          output: infer O extends DescMessage;
        }
      ? grpc.handleClientStreamingCall<MessageShape<I>, MessageShape<O>>
      : M extends {
            methodKind: "bidi_streaming";
            input: infer I extends DescMessage;
            output: infer O extends DescMessage;
          }
        ? grpc.handleBidiStreamingCall<MessageShape<I>, MessageShape<O>>
        : never;

/** A server implementation of every RPC of a generated service, keyed by local name. */
export type ServiceImpl<T extends GenServiceMethods> = { [K in keyof T]: Handler<T[K]> };

type ClientMethod<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (
      request: MessageShape<I>,
      metadata: grpc.Metadata,
      options: Partial<grpc.CallOptions>,
      callback: grpc.requestCallback<MessageShape<O>>,
    ) => grpc.ClientUnaryCall
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (
        request: MessageShape<I>,
        metadata?: grpc.Metadata,
        options?: Partial<grpc.CallOptions>,
      ) => grpc.ClientReadableStream<MessageShape<O>>
    : M extends {
          methodKind: "client_streaming";
          input: infer I extends DescMessage;
          output: infer O extends DescMessage;
        }
      ? (
          metadata: grpc.Metadata,
          options: Partial<grpc.CallOptions>,
          callback: grpc.requestCallback<MessageShape<O>>,
        ) => grpc.ClientWritableStream<MessageShape<I>>
      : M extends {
            methodKind: "bidi_streaming";
            input: infer I extends DescMessage;
            output: infer O extends DescMessage;
          }
        ? (
            metadata?: grpc.Metadata,
            options?: Partial<grpc.CallOptions>,
          ) => grpc.ClientDuplexStream<MessageShape<I>, MessageShape<O>>
        : never;

/** A grpc-js client with one typed method per RPC of a generated service. */
export type TypedClient<T extends GenServiceMethods> = grpc.Client & {
  [K in keyof T]: ClientMethod<T[K]>;
};

// grpc-js calls `.copy()` on what a serializer returns, so it must be a Buffer (zero-copy view).
const asBuffer = (u8: Uint8Array): Buffer => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

const undecodable = new WeakSet<object>();

/**
 * True for a request that was not valid protobuf (e.g. invalid UTF-8 in a string field).
 * grpc-js would answer such a request with INTERNAL; the adapter hands the handler an empty
 * message marked here instead, so the server can answer INVALID_ARGUMENT with a reason.
 */
export function isUndecodable(request: object): boolean {
  return undecodable.has(request);
}

function decodeRequest<I extends DescMessage>(schema: I, buf: Buffer): MessageShape<I> {
  try {
    return fromBinary(schema, buf);
  } catch {
    const empty = create(schema);
    undecodable.add(empty);
    return empty;
  }
}

/**
 * How a message goes on the wire: protobuf-es's `toBinary`, or a hand-written encoder giving
 * the same bytes where the reflective one costs too much on a hot path (envelope-encoder.ts).
 */
function serializerOf(schema: DescMessage): (msg: unknown) => Buffer {
  if (schema.typeName === ReplicaEnvelopeSchema.typeName) {
    return (msg) => encodeReplicaEnvelope(msg as ReplicaEnvelope);
  }
  return (msg) => asBuffer(toBinary(schema, msg as never));
}

/** The grpc-js service definition of a generated service. */
export function grpcServiceDefinition<T extends GenServiceMethods>(
  service: GenService<T>,
): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const kind = method.methodKind;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: kind === "client_streaming" || kind === "bidi_streaming",
      responseStream: kind === "server_streaming" || kind === "bidi_streaming",
      requestSerialize: serializerOf(method.input),
      requestDeserialize: (buf: Buffer) => decodeRequest(method.input, buf),
      responseSerialize: serializerOf(method.output),
      responseDeserialize: (buf: Buffer) => fromBinary(method.output, buf),
    };
  }
  return definition;
}

/** Registers `impl` for `service` on `server`; a missing or mistyped RPC fails to compile. */
export function addService<T extends GenServiceMethods>(
  server: grpc.Server,
  service: GenService<T>,
  impl: ServiceImpl<T>,
): void {
  server.addService(
    grpcServiceDefinition(service),
    impl as unknown as grpc.UntypedServiceImplementation,
  );
}

/** A typed client constructor for `service`. */
export function clientFor<T extends GenServiceMethods>(
  service: GenService<T>,
): new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => TypedClient<T> {
  const ctor = grpc.makeGenericClientConstructor(
    grpcServiceDefinition(service),
    service.typeName,
  );
  return ctor as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ChannelOptions,
  ) => TypedClient<T>;
}
