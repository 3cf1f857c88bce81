// `chat-cluster down`: stop the nodes `up` started, gracefully, then by force.
import { readdirSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { paths, readPid, alive, aliveNodeOf } from "./local.js";
import { downGraceMs } from "../limits.js";

export async function down({ dataDir }: { dataDir: string }): Promise<number> {
  const root = paths(dataDir).root;
  if (!existsSync(root)) {
    console.log(`no local cluster in ${root}`);
    return 0;
  }
  const pidFiles = readdirSync(root).filter((f) => /^node-\d+\.pid$/.test(f)).map((f) => join(root, f));
  const running = pidFiles
    .map((file) => ({ file, pid: readPid(file) }))
    .filter((p): p is { file: string; pid: number } => p.pid !== undefined && aliveNodeOf(p.pid, root));
  for (const { pid } of running) signal(pid, "SIGTERM");
  const deadline = Date.now() + downGraceMs;
  while (running.some((p) => alive(p.pid)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const { pid } of running) if (alive(pid)) signal(pid, "SIGKILL");
  pidFiles.forEach((f) => rmSync(f, { force: true }));
  console.log(running.length === 0 ? "no node was running" : `stopped ${running.length} node(s)`);
  return 0;
}

/** Signals `pid`; one that exited since it was seen alive (ESRCH) is what `down` wants anyway. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
