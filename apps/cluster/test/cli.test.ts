// The executables as a user runs them: help, usage errors, and `up --nodes 1` → status → down.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, existsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { fileURLToPath } from "node:url";

const binDir = fileURLToPath(new URL("../../../node_modules/.bin/", import.meta.url));
const run = (bin: string, args: string[], timeout = 30_000) =>
  spawnSync(join(binDir, bin), args, { encoding: "utf8", timeout, env: { ...process.env, CI: "true" } });

test("chat-cluster --help and chat-tui --help print usage and exit 0", () => {
  const cluster = run("chat-cluster", ["--help"]);
  assert.equal(cluster.status, 0, cluster.stderr);
  assert.match(cluster.stdout, /chat-cluster up \[--nodes 3\]/);
  const tui = run("chat-tui", ["--help"]);
  assert.equal(tui.status, 0, tui.stderr);
  assert.match(tui.stdout, /chat-tui \[--cluster host:port/);
});

test("usage errors are one line on stderr and exit 2", () => {
  const unknown = run("chat-cluster", ["launch"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "launch"/);
  const badFlag = run("chat-cluster", ["up", "--nodes", "nine"]);
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /--nodes must be an integer/);
  const missing = run("chat-cluster", ["node", "--id", "0"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--config/);
  const tui = run("chat-tui", ["--colour"]);
  assert.equal(tui.status, 2);
  assert.equal(tui.stderr.trim().split("\n").length, 1);
  const notUnclean = run("chat-cluster", ["recover", "--from", "0"]);
  assert.equal(notUnclean.status, 2);
  assert.match(notUnclean.stderr, /--unclean is required: the override may lose acknowledged messages/);
  const noFile = run("chat-cluster", ["recover", "--unclean", "--from", "1", "--data-dir", "/nonexistent"]);
  assert.equal(noFile.status, 1);
  assert.match(noFile.stderr, /no cluster file at \/nonexistent\/cluster\.json/);
  const badConfig = run("chat-cluster", ["node", "--id", "0", "--config", "/nonexistent.json"]);
  assert.equal(badConfig.status, 1);
  assert.match(badConfig.stderr, /cannot read .*\/nonexistent\.json/);
});

test("a file or directory a command cannot use is one line on stderr and exit 1, never a stack", () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-cli-"));
  try {
    const file = join(dir, "file");
    writeFileSync(file, "");
    const oneLine = (r: ReturnType<typeof run>, pattern: RegExp): void => {
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, pattern);
    };
    oneLine(run("chat-cluster", ["down", "--data-dir", file]), /^chat-cluster down: ENOTDIR: not a directory/);
    oneLine(run("chat-cluster", ["up", "--data-dir", join(file, "x")]), /^chat-cluster up: ENOTDIR/);
    oneLine(run("chat-cluster", ["status", "--tls-ca", join(dir, "none.pem"), "--cluster", "127.0.0.1:1"]),
      /^chat-cluster status: ENOENT: no such file or directory, open '.*none\.pem'/);
    // A data dir holding another cluster's config and node data: the launcher's own reason.
    const other = join(dir, "other");
    mkdirSync(join(other, "node-0"), { recursive: true });
    writeFileSync(join(other, "cluster.json"), JSON.stringify({ clusterId: "x", secret: "s".repeat(24),
      nodes: [0, 1, 2].map((id) => ({ id, address: `127.0.0.1:${50061 + id}` })) }), { mode: 0o600 });
    oneLine(run("chat-cluster", ["up", "--nodes", "2", "--base-port", "50071", "--data-dir", other]),
      /describes another cluster .*; use it as it is, or remove .* to start over/);
    const badAddress = run("chat-cluster", ["status", "--cluster", "garbage"]);
    assert.equal(badAddress.status, 2);
    assert.match(badAddress.stderr,
      /^chat-cluster status: bad cluster address in --cluster: "garbage" is not host:port/);
    const tui = run("chat-tui", ["--cluster", "garbage"]);
    assert.equal(tui.status, 2);
    assert.match(tui.stderr, /^chat-tui: bad cluster address "garbage"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A base port whose client, replica (+100) and liveness (+200) ports are all free. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await portFree(base)) && (await portFree(base + 100)) && (await portFree(base + 200))) return base;
  }
  throw new Error("no free base port");
}

test("up --nodes 1 starts a node in the background; status shows it; down stops it", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-up-"));
  try {
    const base = await freeBasePort();
    const up = run("chat-cluster", ["up", "--nodes", "1", "--base-port", String(base), "--data-dir", dataDir]);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.match(up.stdout, new RegExp(`127\\.0\\.0\\.1:${base}\\s+primary`));
    assert.ok(existsSync(join(dataDir, "node-0.pid")));
    const status = run("chat-cluster", ["status", "--data-dir", dataDir]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /primary/);
    const again = run("chat-cluster", ["up", "--nodes", "1", "--base-port", String(base), "--data-dir", dataDir]);
    assert.equal(again.status, 0, "up is idempotent while the cluster runs");
    const down = run("chat-cluster", ["down", "--data-dir", dataDir]);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, /stopped 1 node/);
    const after = run("chat-cluster", ["status", "--data-dir", dataDir]);
    assert.equal(after.status, 1);
    assert.match(after.stdout, /down/);
  } finally {
    run("chat-cluster", ["down", "--data-dir", dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("up --tls makes a CA and node certificates, says how to trust it; status uses it; plain status sees nothing", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chat-up-tls-"));
  try {
    const base = await freeBasePort();
    const up = run("chat-cluster", ["up", "--nodes", "1", "--tls", "--base-port", String(base), "--data-dir", dataDir]);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    assert.equal(up.stderr, "", "no warnings on stderr");
    assert.match(up.stdout, /TLS is on; clients trust the cluster's CA: chat-tui --tls-ca .*tls\/ca\.pem/);
    assert.equal(statSync(join(dataDir, "tls", "node-0.key")).mode & 0o777, 0o600);
    const status = run("chat-cluster", ["status", "--data-dir", dataDir]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /primary/);
    const plain = run("chat-cluster", ["status", "--cluster", `127.0.0.1:${base}`]);
    assert.equal(plain.status, 1, "a plain-text client gets no answer from a TLS port");
    assert.match(plain.stderr, /if the cluster runs with TLS, give its CA: --tls-ca FILE/);
    const withCa = run("chat-cluster", ["status", "--cluster", `127.0.0.1:${base}`,
      "--tls-ca", join(dataDir, "tls", "ca.pem")]);
    assert.equal(withCa.status, 0, withCa.stderr);
    const mixed = run("chat-cluster", ["up", "--nodes", "1", "--base-port", String(base), "--data-dir", dataDir]);
    assert.equal(mixed.status, 0, "a later up without --tls keeps TLS on");
  } finally {
    run("chat-cluster", ["down", "--data-dir", dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
