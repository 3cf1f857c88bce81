// @chat-tui/proto: the generated chat.v1 messages and services, and the grpc-js bridge.
export * from "./gen/chat/v1/chat_pb.js";
export * from "./gen/chat/v1/cluster_pb.js";
export * from "./gen/chat/v1/replica_pb.js";
export {
  addService,
  clientFor,
  grpcServiceDefinition,
  isUndecodable,
  type ServiceImpl,
  type TypedClient,
} from "./grpc-adapter.js";
export { addReflection } from "./reflection.js";
export { create, toBinary, fromBinary, toJson, fromJson } from "@bufbuild/protobuf";
export { muteIpServernameWarning } from "./tls-warning.js";
