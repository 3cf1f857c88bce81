// `chat-cluster status`: one table of what every node says of itself (live with --watch).
import { existsSync } from "node:fs";
import { loadClusterConfig } from "../config.js";
import { alive, paths, readPid } from "./local.js";
import { credentialsFor, plainCredentials, renderTable, surveyCluster, type Credentials } from "./status-client.js";

export interface StatusOptions {
  /** Checked node addresses (`--cluster` or CHAT_CLUSTER); else the local cluster's. */
  cluster: string[] | undefined;
  dataDir: string;
  watch: boolean;
  /** PEM CA to trust (TLS); default: the local cluster's own CA when its config names one. */
  tlsCa: string | undefined;
}

interface Target {
  addresses: string[];
  credentials: Credentials;
  pids?: Map<string, number | undefined>;
}

function targetOf(options: StatusOptions): Target {
  const p = paths(options.dataDir);
  const config = existsSync(p.config) ? loadClusterConfig(p.config) : undefined;
  const credentials = credentialsFor(options.tlsCa ?? (options.cluster ? undefined : config?.nodes[0]?.tls?.ca));
  if (options.cluster) return { addresses: options.cluster, credentials };
  if (!config) return { addresses: ["127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"], credentials };
  return {
    addresses: config.nodes.map((n) => n.address),
    credentials,
    pids: new Map(config.nodes.map((n) => {
      const pid = readPid(p.pidFile(n.id));
      return [n.address, pid !== undefined && alive(pid) ? pid : undefined];
    })),
  };
}

export async function status(options: StatusOptions): Promise<number> {
  const { addresses, credentials, pids } = targetOf(options);
  const once = async (): Promise<string> => renderTable(await surveyCluster(addresses, credentials), pids);
  if (!options.watch) {
    const rows = await surveyCluster(addresses, credentials);
    console.log(renderTable(rows, pids));
    if (rows.every((r) => r.role === "down") && credentials === plainCredentials) {
      console.error("no node answered; if the cluster runs with TLS, give its CA: --tls-ca FILE (or CHAT_TLS_CA)");
    }
    return rows.some((r) => r.role === "primary") ? 0 : 1;
  }
  let stopped = false;
  process.once("SIGINT", () => (stopped = true));
  while (!stopped) {
    const table = await once();
    process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}  (Ctrl+C to stop)\n\n${table}\n`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return 0;
}
