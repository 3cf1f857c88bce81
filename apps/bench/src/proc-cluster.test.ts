// ProcCluster's clean-up when its process is stopped by a signal: nodes killed, temp dir gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

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
