// ProcCluster's clean-up when its process is stopped by a signal: nodes killed, temp dir gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { snapshotsInLog } from "./proc-cluster.js";

const script = `
  const { ProcCluster } = await import(${JSON.stringify(fileURLToPath(new URL("./proc-cluster.ts", import.meta.url)))});
  const cluster = await ProcCluster.start();
  console.log(JSON.stringify({ root: cluster.root, pids: cluster.ids.map((id) => cluster.node(id).child.pid) }));
  setInterval(() => {}, 1000);
`;

/** A process that exists and is not a zombie (an orphan's zombie waits for init to reap it). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

test("a run stopped by SIGTERM kills its nodes and removes its temp dir", async (t) => {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script],
    { stdio: ["ignore", "pipe", "inherit"] });
  let pids: number[] = [];
  t.after(() => {
    // Whatever failed above, nothing of this test keeps running.
    for (const pid of [child.pid!, ...pids]) if (alive(pid)) process.kill(pid, "SIGKILL");
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  const started = new Promise<{ root: string; pids: number[] }>((resolve, reject) => {
    child.stdout.on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) resolve(JSON.parse(out) as { root: string; pids: number[] });
    });
    child.once("exit", () => reject(new Error(`exited before the cluster started: ${out}`)));
  });
  const { root, pids: nodePids } = await started;
  pids = nodePids;
  assert.ok(existsSync(root));
  assert.ok(pids.every(alive));
  child.kill("SIGTERM");
  const [code] = await once(child, "exit");
  assert.equal(code, 143, "exits as a process killed by SIGTERM would");
  assert.ok(!existsSync(root), "the temp dir is removed");
  // The nodes were SIGKILLed; give the OS a moment to reap them.
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(pids.filter(alive), [], "every node is killed");
});

test("the snapshots a node logged within a time window", () => {
  const at = (iso: string): number => Date.parse(iso);
  const log = [
    '{"level":30,"time":"2026-12-05T03:23:31.174Z","node":2,"index":100017,"ms":887,"msg":"snapshot taken"}',
    "[1234:0x1] 4711 ms: Mark-Compact 43.4 (45.8) -> 35.5 (44.7) MB",
    '{"level":30,"time":"2026-12-05T03:23:40.000Z","node":2,"index":200017,"ms":912,"msg":"snapshot taken"}',
    '{"level":30,"time":"2026-12-05T03:23:45.000Z","node":2,"msg":"role"}',
    '{"level":30,"time":"2026-12-05T03:23:50.000Z","node":2,"index":300',
  ].join("\n");
  assert.deepEqual(snapshotsInLog(log, 2, at("2026-12-05T03:23:31Z"), at("2026-12-05T03:23:45Z")), [
    { node: 2, index: 100017, ms: 887, at: at("2026-12-05T03:23:31.174Z") },
    { node: 2, index: 200017, ms: 912, at: at("2026-12-05T03:23:40Z") },
  ]);
  assert.deepEqual(snapshotsInLog(log, 2, at("2026-12-05T03:23:32Z"), at("2026-12-05T03:23:39Z")), []);
});
