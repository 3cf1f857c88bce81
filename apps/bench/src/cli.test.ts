// Smoke tests of the `chat-bench` CLI: help, usage errors, a tiny bench run with its JSON
// report, and `check` on a hand-made history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, platform, release, tmpdir } from "node:os";
import { join } from "node:path";
import { main, nemesisDir } from "./cli.js";
import type { BenchReport } from "./bench.js";

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("--help prints the usage; bad flags are usage errors (exit 2)", async () => {
  const help = await capture(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /chat-bench nemesis/);
  assert.equal((await capture(["nemesis", "--help"])).code, 0);
  assert.match(help.out, /--keep DIR keeps them after every run,\s+each run in a new subdirectory of DIR/);
  assert.equal((await capture(["--duration-ms", "abc"])).code, 2);
  assert.equal((await capture(["frobnicate"])).code, 2);
  assert.equal((await capture(["nemesis", "--clients", "1"])).code, 2);
  assert.equal((await capture(["check", "--help"])).code, 0);
  assert.match((await capture(["--version"])).out, /^\d+\.\d+\.\d+$/);
  assert.match((await capture(["run", "-v"])).out, /^\d+\.\d+\.\d+$/);
  const badCluster = await capture(["--cluster", "garbage"]);
  assert.equal(badCluster.code, 2);
  assert.equal(badCluster.err, 'chat-bench: bad cluster address "garbage" (want host:port) (try --help)');
});

test("a history file check cannot read is one line and exit 1, naming the file (and the line)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-bench-check-"));
  try {
    const missing = await capture(["check", join(dir, "none.jsonl")]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^chat-bench: ENOENT: no such file or directory, open '.*none\.jsonl'$/);
    const file = join(dir, "history.jsonl");
    writeFileSync(file, '{"kind":"invoke"}\nnot json\n');
    const bad = await capture(["check", file]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^chat-bench: .*history\.jsonl line 2 is not JSON \([^\n]*\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a tiny bench run prints a JSON report with every section it ran", async () => {
  const floorDirsBefore = readdirSync(tmpdir()).filter((f) => f.startsWith("chat-bench-floor-")).length;
  const run = await capture(["--duration-ms", "300", "--levels", "1,4", "--skip-failover", "--skip-restart",
    "--sustained-ms", "500", "--json"]);
  assert.equal(run.code, 0, run.err);
  const report = JSON.parse(run.out) as BenchReport;
  assert.deepEqual(report.levels.map((l) => `${l.inFlight} ${l.path}`), ["1 stream", "4 stream", "4 unary"]);
  for (const l of report.levels) assert.ok(l.acked > 0, `no ack at ${l.inFlight} in flight`);
  assert.ok(report.floors.fsync.fsyncsPerSecMax > 0);
  assert.ok(report.floors.grpcEcho.reqPerSec > 0);
  assert.ok((report.floors.grpcEchoAtHalfLoad?.requests ?? 0) > 0, "the echo at the half-load rate");
  const replication = report.floors.replicationAtHalfLoad;
  assert.ok(replication && replication.requests > 0 && replication.p99Ms >= replication.p50Ms, "the replication floor");
  if (platform() === "linux") {
    assert.deepEqual(Object.keys(replication.cpu?.nodesUs ?? {}).sort(), ["backup 1", "backup 2", "primary"]);
    assert.ok(replication.cpu!.totalUs > 0);
  }
  assert.ok(report.halfLoad?.cpu === undefined || report.halfLoad.cpu.totalUs > 0);
  const sustained = report.sustained;
  assert.ok(sustained && sustained.acked > 0 && sustained.maxMs >= sustained.p99Ms, "the sustained open loop");
  assert.ok(sustained.durationMs >= 500 && sustained.ratePerSec === report.halfLoad?.ratePerSec);
  assert.deepEqual(sustained.snapshots, [], "a few hundred sends take no snapshot");
  assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith("chat-bench-floor-")).length, floorDirsBefore,
    "the floor's files are removed");
  const { stalls } = report.floors;
  assert.equal(stalls.processes, availableParallelism());
  assert.equal(stalls.durationMs, 300, "the stall probes run as long as a level");
  assert.ok(stalls.stalledShare >= 0 && stalls.stalledShare < 1 && stalls.maxMs >= 0, JSON.stringify(stalls));
  const { loadAverage, ...machine } = report.machine;
  assert.deepEqual(machine, { cores: cpus().length, cpu: cpus()[0]?.model ?? "?", node: process.version,
    platform: `${platform()} ${release()}` }, "the machine this ran on");
  assert.equal(loadAverage.length, 3);
  assert.equal(report.failover, undefined);
  assert.ok(report.targets.length >= 1);
});

test("check re-reads a history file and exits 1 on a violation", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-bench-check-"));
  try {
    const file = join(dir, "history.jsonl");
    writeFileSync(file, [
      { kind: "invoke", t: 0, client: "a", key: "a-1", to: "b", text: "a#1" },
      { kind: "ok", t: 1, client: "a", key: "a-1", seq: 1 },
      { kind: "final-read", t: 2, client: "b", messages: [] },
    ].map((r) => JSON.stringify(r)).join("\n"));
    const result = await capture(["check", file]);
    assert.equal(result.code, 1);
    assert.match(result.out, /lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nemesis --keep DIR: every run gets a new, empty subdirectory of DIR", () => {
  const keep = mkdtempSync(join(tmpdir(), "chat-bench-keep-"));
  try {
    const first = nemesisDir(keep, "s 1");
    writeFileSync(join(first, "history.jsonl"), "{}\n"); // the first run's history
    const second = nemesisDir(keep, "s 1");
    assert.notEqual(first, second);
    for (const dir of [first, second]) assert.equal(join(dir, ".."), keep);
    assert.deepEqual(readdirSync(second), []);
    assert.equal(readdirSync(keep).length, 2);
  } finally {
    rmSync(keep, { recursive: true, force: true });
  }
});
