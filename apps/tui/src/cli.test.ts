import assert from "node:assert/strict";
import { test } from "node:test";
import { applyNoColor, main } from "./cli.js";

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (s: string) => out.push(s);
  console.error = (s: string) => err.push(s);
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("--help prints usage and exits 0; --version prints the version", async () => {
  const help = await capture(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage:\n  chat-tui/);
  const v = await capture(["-v"]);
  assert.equal(v.code, 0);
  assert.match(v.out, /^\d+\.\d+\.\d+$/);
});

test("an unknown flag is a usage error (2) with a hint", async () => {
  const r = await capture(["--nope"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /try --help/);
});

test("without a terminal it refuses to start (2)", async () => {
  if (process.stdin.isTTY && process.stdout.isTTY) return; // only meaningful when piped
  const r = await capture([]);
  assert.equal(r.code, 2);
  assert.match(r.err, /interactive terminal/);
});

test("NO_COLOR (non-empty) or --no-color set FORCE_COLOR=0 before Ink loads", () => {
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  applyNoColor(false, env);
  assert.equal(env.FORCE_COLOR, "0");
  const empty: NodeJS.ProcessEnv = { NO_COLOR: "" };
  applyNoColor(false, empty);
  assert.equal(empty.FORCE_COLOR, undefined);
  const flag: NodeJS.ProcessEnv = {};
  applyNoColor(true, flag);
  assert.equal(flag.FORCE_COLOR, "0");
});

test("a bad cluster address is a usage error (2) naming it, from --cluster or CHAT_CLUSTER", async () => {
  const flag = await capture(["--cluster", "garbage"]);
  assert.equal(flag.code, 2);
  assert.match(flag.err, /^chat-tui: bad cluster address "garbage" \(want host:port\) \(try --help\)$/);
  const saved = process.env.CHAT_CLUSTER;
  try {
    process.env.CHAT_CLUSTER = "a:1,b";
    const env = await capture([]);
    assert.equal(env.code, 2);
    assert.match(env.err, /bad cluster address "b"/);
    // Set but empty means unset, as in the SDK: the local cluster, so no address error.
    if (process.stdin.isTTY && process.stdout.isTTY) return; // it would start the app
    process.env.CHAT_CLUSTER = "";
    const empty = await capture([]);
    assert.match(empty.err, /interactive terminal/);
  } finally {
    if (saved === undefined) delete process.env.CHAT_CLUSTER;
    else process.env.CHAT_CLUSTER = saved;
  }
});
