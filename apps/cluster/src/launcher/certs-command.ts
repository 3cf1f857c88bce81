// `chat-cluster certs`: TLS for a multi-machine cluster. Creates a CA (once) and a certificate
// per node of cluster.json naming that node's host, and writes the TLS paths into the file.
// Then copy the folder to every machine; each node needs the CA, its own cert and its own key.
import { chmodSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadClusterConfig, renderClusterConfig } from "../config.js";
import { issueCertificates } from "./certs.js";

export interface CertsOptions {
  configPath: string;
  outDir: string | undefined;
}

export function certs(options: CertsOptions): number {
  const configPath = resolve(options.configPath);
  const config = loadClusterConfig(configPath);
  const outDir = resolve(options.outDir ?? join(dirname(configPath), "tls"));
  const nodes = issueCertificates(outDir, config.nodes);
  writeFileSync(configPath, renderClusterConfig({ ...config, nodes, tls: true }, dirname(configPath)), { mode: 0o600 });
  chmodSync(configPath, 0o600);
  console.log(`CA and ${nodes.length} node certificates in ${outDir}; ${configPath} now turns TLS on.`);
  for (const n of nodes) console.log(`  node ${n.id} (${n.host}): ${n.tls.cert}, key ${n.tls.key}`);
  console.log(`Clients trust ${join(outDir, "ca.pem")} (chat-tui --tls-ca, CHAT_TLS_CA). Keep ca.key off the nodes.`);
  return 0;
}
