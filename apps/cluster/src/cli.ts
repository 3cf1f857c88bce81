// `chat-cluster`: run one node, or start/stop/inspect a local cluster.
import "./node/young-generation.js"; // first: before any module allocates (see there)
import { parseArgs, type ParseArgsConfig } from "node:util";
import { readFileSync } from "node:fs";
import { ConfigError, splitAddress } from "./config.js";

export const usage = `chat-cluster — the replicated chat cluster

Usage:
  chat-cluster up [--nodes 3] [--base-port 50051] [--data-dir .chat-data] [--foreground] [--tls]
      Start a local cluster (nodes as background processes with pid files and logs in the
      data dir), wait until a primary is elected, print each node's address and role.
      --tls creates a local CA and node certificates in DATA-DIR/tls (kept for later runs):
      client ports serve TLS, replica ports require mutual TLS.
  chat-cluster down [--data-dir .chat-data]
      Stop the nodes \`up\` started: SIGTERM, then SIGKILL after 5 s.
  chat-cluster status [--cluster host:port,...] [--data-dir .chat-data] [--watch] [--tls-ca FILE]
      A table of the nodes, their roles, epochs and log positions (live with --watch).
  chat-cluster certs --config cluster.json [--out DIR]
      Create a CA (once) and a certificate for every node of cluster.json in DIR (default
      tls/ beside the file) and add the TLS paths to cluster.json (multi-machine TLS).
  chat-cluster node --id N --config cluster.json [--data-dir DIR]
      Run one node in the foreground (one per machine for a multi-machine cluster).
  chat-cluster recover --unclean --from N [--config cluster.json] [--data-dir .chat-data] [--tls-ca FILE]
      After all nodes failed, recovery waits for every member of the last view. When one will
      never come back (disk or machine lost), let node N stand without it for the next minute.
      MAY LOSE ACKNOWLEDGED MESSAGES (those only the missing member held).
  chat-cluster seed --id N --config cluster.json --data-dir DIR --messages M --from USER --to USER
                    [--rate-per-sec 1800] [--seed S]
      Offline, on a cleanly stopped and converged cluster: append M sends from USER (who must
      have a live session) to USER to node N's log, applied and snapshotted as a running node
      would. Seed every node with the same arguments (the bench builds 1M-message states so).

Options:
  -h, --help       show this help
  -v, --version    print the version

Environment:
  CHAT_LOG_LEVEL   node log level (info by default; debug, warn, silent…)
  CHAT_CLUSTER     default for --cluster (host:port,host:port,...)
  CHAT_TLS_CA      default for --tls-ca

Exit codes: 0 ok, 1 failure, 2 usage error.`;

class UsageError extends Error {}

const commands = {
  up: { "nodes": { type: "string" }, "base-port": { type: "string" }, "data-dir": { type: "string" },
    "foreground": { type: "boolean" }, "tls": { type: "boolean" } },
  down: { "data-dir": { type: "string" } },
  status: { "cluster": { type: "string" }, "data-dir": { type: "string" }, "watch": { type: "boolean" },
    "tls-ca": { type: "string" } },
  certs: { "config": { type: "string" }, "out": { type: "string" } },
  node: { "id": { type: "string" }, "config": { type: "string" }, "data-dir": { type: "string" } },
  recover: { "unclean": { type: "boolean" }, "from": { type: "string" }, "config": { type: "string" },
    "data-dir": { type: "string" }, "tls-ca": { type: "string" } },
  seed: { "id": { type: "string" }, "config": { type: "string" }, "data-dir": { type: "string" },
    "messages": { type: "string" }, "from": { type: "string" }, "to": { type: "string" },
    "rate-per-sec": { type: "string" }, "seed": { type: "string" } },
} satisfies Record<string, ParseArgsConfig["options"]>;

type Command = keyof typeof commands;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** What the operating system says of a path or port the command was given (not a bug). */
const userFacingCodes: ReadonlySet<string> = new Set([
  "ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM", "EEXIST", "EROFS", "ENOSPC", "ELOOP", "ENAMETOOLONG", "EIO",
  "EADDRINUSE", "EADDRNOTAVAIL",
]);

function isSystemError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err instanceof Error && typeof code === "string" && userFacingCodes.has(code);
}

/** `host:port` addresses separated by commas or spaces (`source` names where they came from), checked. */
function addresses(list: string, source: string): string[] {
  const all = [...new Set(list.split(/[\s,]+/).filter((a) => a !== "").map((a) => a.toLowerCase()))];
  if (all.length === 0) throw new UsageError(`${source} names no address (want host:port,…)`);
  for (const address of all) {
    try {
      splitAddress(address);
    } catch (err) {
      throw new UsageError(`bad cluster address in ${source}: ${(err as Error).message}`);
    }
  }
  return all;
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.error(usage); // no command: a usage error
    return 2;
  }
  if (first === "-h" || first === "--help" || first === "help") {
    console.log(usage);
    return 0;
  }
  if (first === "-v" || first === "--version") {
    console.log(version());
    return 0;
  }
  if (!(first in commands)) {
    console.error(`chat-cluster: unknown command "${first}" (try --help)`);
    return 2;
  }
  const command = first as Command;
  try {
    if (rest.includes("-h") || rest.includes("--help")) {
      console.log(usage);
      return 0;
    }
    const { values } = parseArgs({ args: rest, options: commands[command], strict: true, allowPositionals: false });
    return await run(command, values as Record<string, string | boolean | undefined>);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`chat-cluster ${command}: ${(err as Error).message} (try --help)`);
      return 2;
    }
    // Bad configuration, or a file or directory the command cannot use (ENOENT, ENOTDIR,
    // EACCES…): one line. Anything else is a bug and keeps its stack.
    if (err instanceof ConfigError || isSystemError(err)) {
      console.error(`chat-cluster ${command}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

async function run(command: Command, v: Record<string, string | boolean | undefined>): Promise<number> {
  const dataDir = (v["data-dir"] as string | undefined) ?? ".chat-data";
  switch (command) {
    case "up": {
      const { up } = await import("./launcher/up.js");
      return up({
        nodes: integer(v.nodes as string | undefined, "nodes", 3, 1, 5),
        basePort: integer(v["base-port"] as string | undefined, "base-port", 50051, 1024, 65000),
        dataDir,
        foreground: v.foreground === true,
        tls: v.tls === true ? true : undefined,
      });
    }
    case "down": {
      const { down } = await import("./launcher/down.js");
      return down({ dataDir });
    }
    case "status": {
      const { status } = await import("./launcher/status.js");
      const flag = v.cluster as string | undefined;
      const env = process.env.CHAT_CLUSTER?.trim() || undefined;
      const cluster = flag !== undefined ? addresses(flag, "--cluster")
        : env !== undefined ? addresses(env, "CHAT_CLUSTER") : undefined;
      return status({
        cluster,
        dataDir,
        watch: v.watch === true,
        tlsCa: (v["tls-ca"] as string | undefined) ?? process.env.CHAT_TLS_CA,
      });
    }
    case "certs": {
      if (v.config === undefined) throw new UsageError("--config cluster.json is required");
      const { certs } = await import("./launcher/certs-command.js");
      return certs({ configPath: v.config as string, outDir: v.out as string | undefined });
    }
    case "recover": {
      if (v.unclean !== true) {
        throw new UsageError("--unclean is required: the override may lose acknowledged messages");
      }
      const from = integer(v.from as string | undefined, "from", -1, 0, 63);
      if (from < 0) throw new UsageError("--from N is required");
      const { recover } = await import("./launcher/recover.js");
      return recover({
        from, configPath: v.config as string | undefined, dataDir,
        tlsCa: (v["tls-ca"] as string | undefined) ?? process.env.CHAT_TLS_CA,
      });
    }
    case "node": {
      if (v.config === undefined) throw new UsageError("--config cluster.json is required");
      const id = integer(v.id as string | undefined, "id", -1, 0, 63);
      if (id < 0) throw new UsageError("--id N is required");
      const { runNode } = await import("./node/run-node.js");
      return runNode({
        id,
        configPath: v.config as string,
        dataDir: (v["data-dir"] as string | undefined) ?? `.chat-data/node-${id}`,
      });
    }
    case "seed":
      return seed(v);
  }
}

async function seed(v: Record<string, string | boolean | undefined>): Promise<number> {
  for (const name of ["config", "data-dir", "from", "to"]) {
    if (typeof v[name] !== "string") throw new UsageError(`--${name} is required`);
  }
  const id = integer(v.id as string | undefined, "id", -1, 0, 63);
  if (id < 0) throw new UsageError("--id N is required");
  const messages = integer(v.messages as string | undefined, "messages", -1, 1, 10_000_000);
  if (messages < 0) throw new UsageError("--messages M is required");
  const { loadClusterConfig } = await import("./config.js");
  const { seedDataDir } = await import("./node/seed.js");
  const { snapshotEveryEntries } = await import("./limits.js");
  const config = loadClusterConfig(v.config as string);
  const started = performance.now();
  const report = await seedDataDir({
    clusterId: config.clusterId, nodeId: id, dataDir: v["data-dir"] as string, messages,
    from: v.from as string, to: v.to as string,
    ratePerSec: integer(v["rate-per-sec"] as string | undefined, "rate-per-sec", 1_800, 1, 1_000_000),
    seed: (v.seed as string | undefined) ?? "chat-seed",
    snapshotIntervalEntries: config.limits?.snapshotEveryEntries ?? snapshotEveryEntries,
  });
  console.log(JSON.stringify({ ...report, ms: Math.round(performance.now() - started) }));
  return 0;
}
