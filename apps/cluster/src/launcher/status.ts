// `chat-cluster status`: one table of what every node says of itself (live with --watch).
import { existsSync } from "node:fs";
import { loadClusterConfig } from "../config.js";
import { alive, paths, readPid } from "./local.js";
import { renderTable, surveyCluster } from "./status-client.js";

export interface StatusOptions {
  cluster: string | undefined;
  dataDir: string;
  watch: boolean;
}

function addressesOf(options: StatusOptions): { addresses: string[]; pids?: Map<string, number | undefined> } {
  if (options.cluster) return { addresses: options.cluster.split(",").map((s) => s.trim()).filter(Boolean) };
  const p = paths(options.dataDir);
  if (!existsSync(p.config)) {
    return { addresses: ["127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053"] };
  }
  const config = loadClusterConfig(p.config);
  return {
    addresses: config.nodes.map((n) => n.address),
    pids: new Map(config.nodes.map((n) => {
      const pid = readPid(p.pidFile(n.id));
      return [n.address, pid !== undefined && alive(pid) ? pid : undefined];
    })),
  };
}

export async function status(options: StatusOptions): Promise<number> {
  const { addresses, pids } = addressesOf(options);
  const once = async (): Promise<string> => renderTable(await surveyCluster(addresses), pids);
  if (!options.watch) {
    const table = await once();
    console.log(table);
    return table.includes("primary") ? 0 : 1;
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
