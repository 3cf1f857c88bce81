// Server reflection (grpcurl, Postman) from the generated descriptors, without proto-loader.
// @grpc/reflection only reads `fileDescriptorProtos` from what it is given.
import type * as grpc from "@grpc/grpc-js";
import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ReflectionService } from "@grpc/reflection";
import { file_chat_v1_chat } from "./gen/chat/v1/chat_pb.js";
import { file_chat_v1_cluster } from "./gen/chat/v1/cluster_pb.js";

function withDependencies(files: DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.proto.name)) return;
    seen.set(file.proto.name, file);
    file.dependencies.forEach(visit);
  };
  files.forEach(visit);
  return [...seen.values()];
}

/**
 * Adds grpc.reflection (v1 and v1alpha) describing the public chat.v1 services, plus the
 * serialized `FileDescriptorProto`s of other services the server carries (its health service).
 */
export function addReflection(server: grpc.Server, otherFileDescriptorProtos: readonly Buffer[]): void {
  const files = withDependencies([file_chat_v1_chat, file_chat_v1_cluster]);
  const pkg: ConstructorParameters<typeof ReflectionService>[0] = {
    "chat.v1": {
      format: "Protocol Buffer 3 DescriptorProto",
      type: {},
      fileDescriptorProtos: files.map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto))),
    },
    other: {
      format: "Protocol Buffer 3 DescriptorProto", type: {}, fileDescriptorProtos: [...otherFileDescriptorProtos],
    },
  } as unknown as ConstructorParameters<typeof ReflectionService>[0];
  new ReflectionService(pkg).addToServer(server);
}
