// `chat-cluster recover --unclean --from N`: R18's operator override. After a total failure,
// recovery waits for every member of the last view; when one will never come back (its disk is
// gone, its machine lost), this tells node N to stand without it. Acknowledged messages that
// only the missing member held are lost: the command says so, and so does the node's log.
import { existsSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { ClusterService, RecoverRequestSchema, clientFor, type RecoverResponse } from "@chat-tui/proto";
import { ConfigError, loadClusterConfig } from "../config.js";
import { secretMetadataKey } from "../node/replica-transport.js";
import { paths } from "./local.js";
import { credentialsFor } from "./status-client.js";

export interface RecoverOptions {
  from: number;
  /** cluster.json; default: the local cluster's in the data dir. */
  configPath: string | undefined;
  dataDir: string;
  tlsCa: string | undefined;
}

const ClusterClient = clientFor(ClusterService);

export async function recover(options: RecoverOptions): Promise<number> {
  const configPath = options.configPath ?? paths(options.dataDir).config;
  if (!existsSync(configPath)) throw new ConfigError(`no cluster file at ${configPath} (give --config cluster.json)`);
  const config = loadClusterConfig(configPath);
  const node = config.nodes.find((n) => n.id === options.from);
  if (!node) throw new ConfigError(`node ${options.from} is not in ${configPath}`);
  const credentials = credentialsFor(options.tlsCa ?? node.tls?.ca);
  const client = new ClusterClient(node.address, credentials);
  const metadata = new grpc.Metadata();
  metadata.set(secretMetadataKey, config.secret);
  try {
    const answer = await new Promise<RecoverResponse>((resolve, reject) =>
      client.recover(create(RecoverRequestSchema, { unclean: true }), metadata, { deadline: Date.now() + 5_000 },
        (err, res) => (err || !res ? reject(err ?? new Error("empty reply")) : resolve(res))));
    console.log(`node ${node.id} (${node.address}) is ${answer.role}: ${answer.waitReason}`);
    if (answer.role === "recovering" || answer.role === "candidate") {
      console.log("for the next minute its recovery elections go without view members that do not answer;");
      console.log("WARNING: acknowledged messages that only those members held are lost. A member left out");
      console.log("must not come back with its old disk: wipe its data dir and it rejoins as a new member.");
    } else {
      console.log("it is not waiting in a total-failure recovery: nothing to override.");
    }
    return 0;
  } catch (err) {
    const e = err as grpc.ServiceError;
    console.error(`chat-cluster recover: node ${node.id} (${node.address}): ${e.details ?? e.message}`);
    return 1;
  } finally {
    client.close();
  }
}
