// `chat-cluster node`: one node process. Opens storage (recovering state), starts the
// pipeline between the RPC layer and the state machine, serves, and shuts down cleanly.
import { assertPrivateFile, loadClusterConfig, ConfigError } from "../config.js";
import { createLogger } from "../logger.js";
import { NodeStorage } from "./node-storage.js";
import { SingleNodePipeline } from "./single-node.js";
import { ReplicatedPipeline } from "./replicated.js";
import type { Pipeline } from "./pipeline.js";
import { Subscriptions } from "./subscriptions.js";
import { chatService } from "./chat-service.js";
import { clusterService } from "./cluster-service.js";
import { beginShutdown, startClientServer, startLivenessListener } from "./servers.js";
import { nodeCredentials } from "./tls.js";

export interface NodeOptions {
  id: number;
  configPath: string;
  dataDir: string;
}

export async function runNode(options: NodeOptions): Promise<number> {
  // The file holds the cluster secret: refuse to run on one that others can read.
  assertPrivateFile(options.configPath, "cluster file");
  const config = loadClusterConfig(options.configPath);
  const self = config.nodes.find((n) => n.id === options.id);
  if (!self) throw new ConfigError(`node ${options.id} is not in ${options.configPath}`);
  const credentials = nodeCredentials(self.tls);
  let pipeline: Pipeline | undefined;
  const log = createLogger({
    node: self.id,
    epoch: () => pipeline?.epoch() ?? 0,
    role: () => pipeline?.cluster().nodes.find((n) => n.id === self.id)?.role ?? "recovering",
  });
  const fatal = (what: string) => (err: unknown): void => {
    log.fatal({ err }, what);
    process.exit(1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));

  const storage = await NodeStorage.open(options.dataDir, {
    clusterId: config.clusterId, nodeId: self.id, log, applyLog: config.nodes.length === 1,
  });
  if (config.nodes.length === 1) {
    pipeline = new SingleNodePipeline(storage, { id: self.id, address: self.address }, log);
  } else {
    const replicated = new ReplicatedPipeline(config, self, storage, log, credentials);
    await replicated.start();
    pipeline = replicated;
  }
  const subscriptions = new Subscriptions(pipeline);
  const liveness = await startLivenessListener(self.host, self.livenessPort, log);
  const client = await startClientServer(self.host, self.port, {
    chat: chatService({ pipeline, subscriptions, log, limits: config.limits }),
    cluster: clusterService(pipeline, config.secret),
  }, credentials.clientServer);
  const serving = (on: boolean): void => {
    client.health.setStatus("", on ? "SERVING" : "NOT_SERVING");
    client.health.setStatus("chat.v1.ChatService", on ? "SERVING" : "NOT_SERVING");
  };
  serving(pipeline.notServing() === undefined);
  pipeline.on("servingChanged", serving);
  log.info({ address: self.address, tls: config.tls, dataDir: options.dataDir, lastIndex: storage.lastIndex },
    "node serving");

  const p = pipeline;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      beginShutdown();
      subscriptions.close();
      const force = setTimeout(() => client.server.forceShutdown(), 2000);
      force.unref();
      client.server.tryShutdown(() => {
        clearTimeout(force);
        liveness.close();
        void p.close().then(() => resolve(0), fatal("close failed"));
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
