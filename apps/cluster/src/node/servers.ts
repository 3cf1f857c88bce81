// The node's listeners: the client gRPC server (ChatService, ClusterService, health,
// reflection) and the liveness listener, a plain TCP server whose refused connect proves
// this process is gone (REPLICATION.md R7). If the liveness listener closes or errors, the
// process exits, so a refused connect can never come from a live node.
import net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation, service as healthService } from "grpc-health-check";
import { addReflection, addService, ChatService, ClusterService } from "@chat-tui/proto";
import { clientMessageBytesMax, livenessConnectionsMax } from "../limits.js";
import type { Logger } from "../logger.js";

export interface ClientServerParts {
  chat: Parameters<typeof addService<typeof ChatService.method>>[2];
  cluster: Parameters<typeof addService<typeof ClusterService.method>>[2];
}

export interface ClientServer {
  server: grpc.Server;
  health: HealthImplementation;
  port: number;
}

export async function startClientServer(
  host: string,
  port: number,
  parts: ClientServerParts,
  credentials: grpc.ServerCredentials,
): Promise<ClientServer> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": clientMessageBytesMax,
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 1_000,
  });
  addService(server, ChatService, parts.chat);
  addService(server, ClusterService, parts.cluster);
  const health = new HealthImplementation({
    "": "NOT_SERVING",
    "chat.v1.ChatService": "NOT_SERVING",
    "chat.v1.ClusterService": "SERVING",
  });
  health.addToServer(server);
  addReflection(server, healthDescriptors());
  const bound = await bind(server, `${host}:${port}`, credentials);
  return { server, health, port: bound };
}

/**
 * grpc.health.v1's file descriptors, as grpc-health-check loaded them (for reflection). A
 * version that stopped exposing them fails the node's start, not reflection silently.
 */
function healthDescriptors(): Buffer[] {
  const check = healthService.Check as unknown as { requestType?: { fileDescriptorProtos?: Buffer[] } };
  const descriptors = check.requestType?.fileDescriptorProtos ?? [];
  if (descriptors.length === 0) throw new Error("grpc-health-check gives no file descriptors for reflection");
  return descriptors;
}

export function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))));
}

/** Starts the liveness listener; the process exits if it ever stops listening. `close()`
 *  also drops the connections peers keep open. */
export async function startLivenessListener(host: string, port: number, log: Logger): Promise<{ close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    // A probe only needs the connect to succeed. Peers keep their connection open (its close
    // tells them at once that this process is gone) and write a byte per probe, discarded here.
    socket.on("error", () => socket.destroy());
    if (sockets.size >= livenessConnectionsMax) return void socket.destroy();
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("data", () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const die = (why: string) => (err?: Error): void => {
    if (shuttingDown) return;
    log.fatal({ err }, `liveness listener ${why}; exiting`);
    process.exit(1);
  };
  server.on("error", die("failed"));
  server.on("close", die("closed"));
  return {
    close: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

let shuttingDown = false;

/** Marks a deliberate shutdown, so closing the liveness listener does not look like a failure. */
export function beginShutdown(): void {
  shuttingDown = true;
}
