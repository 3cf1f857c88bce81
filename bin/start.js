#!/usr/bin/env node
// `npm start`: bring up the local 3-node cluster if none answers, then open the TUI.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const run = (script, args, stdio) =>
  spawnSync(process.execPath, [join(here, script), ...args], { stdio, env: process.env });

const status = run("chat-cluster.js", ["status"], "pipe");
if (status.status !== 0) {
  console.log("No local cluster answers: starting one (npx chat-cluster up)…");
  const up = run("chat-cluster.js", ["up"], "inherit");
  if (up.status !== 0) process.exit(up.status ?? 1);
  console.log("Stop it later with: npx chat-cluster down\n");
}
// A local cluster started with `up --tls` has its CA here: trust it unless told otherwise.
const localCa = join(process.cwd(), ".chat-data", "tls", "ca.pem");
if (process.env.CHAT_TLS_CA === undefined && existsSync(localCa)) process.env.CHAT_TLS_CA = localCa;
const tui = run("chat-tui.js", process.argv.slice(2), "inherit");
process.exit(tui.status ?? 1);
