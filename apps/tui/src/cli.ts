// `chat-tui`: argument handling and start-up checks before the Ink app is loaded. This file is
// the bootstrap: it must not import Ink (statically), so NO_COLOR can take effect first.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createClient } from "./connect.js";

export const usage = `chat-tui — a replicated chat in your terminal

Usage:
  chat-tui [--cluster host:port,host:port,...] [--tls-ca FILE] [--no-color]

Options:
  --cluster LIST   the cluster's node addresses (default: $CHAT_CLUSTER, else the local
                   cluster on 127.0.0.1:50051-50053)
  --tls-ca FILE    speak TLS and trust this CA (PEM), e.g. .chat-data/tls/ca.pem after
                   \`chat-cluster up --tls\`
  --no-color       no colours (also when NO_COLOR is set)
  -h, --help       show this help
  -v, --version    print the version

Environment:
  CHAT_CLUSTER     default for --cluster
  CHAT_TLS_CA      default for --tls-ca
  NO_COLOR         disable colours (https://no-color.org)
  CHAT_TUI_BELL=1  ring the terminal bell for messages in other conversations

Keys: press ? in the app for the full list (q quits, / filters users, Tab moves).

Start a local cluster first with \`npx chat-cluster up\` (or run \`npm start\`).
Exit codes: 0 ok, 1 failure, 2 usage error.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  let values: { cluster?: string; "tls-ca"?: string; "no-color"?: boolean; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        cluster: { type: "string" },
        "tls-ca": { type: "string" },
        "no-color": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`chat-tui: ${(err as Error).message} (try --help)`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.version) {
    console.log(version());
    return 0;
  }
  let clusterList: string[];
  try {
    // Loaded only now (it brings grpc-js): --help and --version stay quick.
    const { resolveClusterList } = await import("@chat-tui/client");
    clusterList = resolveClusterList(values.cluster); // --cluster, else CHAT_CLUSTER, else local
  } catch (err) {
    console.error(`chat-tui: ${(err as Error).message} (try --help)`);
    return 2;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    console.error("chat-tui: needs an interactive terminal (stdin and stdout must be a TTY)");
    return 2;
  }
  if (process.env.TERM === "dumb") {
    console.error("chat-tui: TERM=dumb cannot show a full-screen client");
    return 2;
  }
  applyNoColor(values["no-color"] === true);
  // React's development build (the default without NODE_ENV) records every render's props for
  // its profiler tracks: measurably slow with long threads. The app runs the production build.
  process.env.NODE_ENV ??= "production";
  let client: Awaited<ReturnType<typeof createClient>>;
  try {
    client = await createClient(clusterList, values["tls-ca"]); // the SDK falls back on CHAT_TLS_CA
  } catch (err) {
    console.error(`chat-tui: ${(err as Error).message}`);
    return 1;
  }
  // Raw mode now, so keys typed while Ink loads are neither echoed nor line-buffered (Ink
  // takes raw mode over when it mounts and turns it off when it unmounts).
  process.stdin.setRawMode(true);
  try {
    // Ink is imported only now, after applyNoColor: chalk reads FORCE_COLOR when it loads.
    const { startApp } = await import("./app.js");
    return await startApp(client, { bell: process.env.CHAT_TUI_BELL === "1" });
  } finally {
    process.stdin.setRawMode(false);
  }
}

/** no-color.org: NO_COLOR set and non-empty (or --no-color) turns colour off, via chalk's FORCE_COLOR=0. */
export function applyNoColor(flag: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (flag || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")) env.FORCE_COLOR = "0";
}
