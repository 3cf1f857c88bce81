// TLS material for a cluster: a private CA and one certificate per node, made with the
// `openssl` command Debian (and every other Unix) ships, so no ASN.1 is written by hand.
// Each node certificate names the node's host (IP or DNS) and serves both as the TLS server
// certificate of its client and replica ports and as its client certificate towards peers.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { ConfigError, type NodeAddress, type NodeTls } from "../config.js";

const caDays = 3650;
const nodeDays = 825;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT") throw new ConfigError("TLS needs the `openssl` command; install it (apt install openssl)");
    throw new ConfigError(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

/** subjectAltName for a host: an IP entry for an address, DNS otherwise; loopback also gets localhost. */
export function subjectAltName(host: string): string {
  const bare = host.replace(/^\[|\]$/g, "");
  const names = [isIP(bare) ? `IP:${bare}` : `DNS:${bare}`];
  if (bare === "127.0.0.1" || bare === "::1") names.push("DNS:localhost");
  return names.join(",");
}

/** Creates `dir/ca.pem` + `dir/ca.key` unless they exist (so later certificates share the CA). */
function ensureCa(dir: string): void {
  if (existsSync(join(dir, "ca.pem")) && existsSync(join(dir, "ca.key"))) return;
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", "ca.key", "-out", "ca.pem", "-days", String(caDays), "-subj", "/CN=chat-tui cluster CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  chmodSync(join(dir, "ca.key"), 0o600);
}

function issueNodeCertificate(dir: string, node: Pick<NodeAddress, "id" | "host">): NodeTls {
  const base = `node-${node.id}`;
  const ext = join(dir, `${base}.ext`);
  writeFileSync(ext, [
    `subjectAltName=${subjectAltName(node.host)}`,
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth,clientAuth",
  ].join("\n"), { mode: 0o600 });
  try {
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=chat-node-${node.id}`], dir);
    openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-days", String(nodeDays), "-extfile", `${base}.ext`, "-out", `${base}.pem`], dir);
  } finally {
    rmSync(ext, { force: true });
    rmSync(join(dir, `${base}.csr`), { force: true });
  }
  chmodSync(join(dir, `${base}.key`), 0o600);
  return { cert: join(dir, `${base}.pem`), key: join(dir, `${base}.key`), ca: join(dir, "ca.pem") };
}

/**
 * A CA in `dir` (created once) and a fresh certificate for every node. Returns the nodes with
 * their `tls` set. Keys are 0600 and the folder 0700.
 */
export function issueCertificates<N extends Pick<NodeAddress, "id" | "host">>(dir: string, nodes: N[]):
  (N & { tls: NodeTls })[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  ensureCa(dir);
  return nodes.map((n) => ({ ...n, tls: issueNodeCertificate(dir, n) }));
}
