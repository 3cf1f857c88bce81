// The chat client of the three-namespace test, run inside its own network namespace:
// `node --import tsx netns-client.ts host:port,host:port,host:port` with CHAT_TLS_CA set.
// It prints one JSON line per phase on stdout: {"phase":"kill","primary":N} once 20 sends
// are acknowledged (the test then kills that node and writes a line to stdin), and
// {"phase":"done",...} with the checked report (exactly once, in order, nothing lost).
import { createInterface } from "node:readline";
import { connect } from "@chat-tui/client";
import { Workload } from "./workload.js";

const say = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

async function primaryOf(watcher: ReturnType<typeof connect>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const id = watcher.cluster().primaryId;
    if (id !== undefined) return id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the client never learned a primary");
}

async function main(): Promise<void> {
  const cluster = process.argv[2]!.split(",");
  const watcher = connect({ cluster });
  const w = await Workload.start(cluster, 2, "ns");
  await w.progress(20);
  const before = await primaryOf(watcher);
  const killed = new Promise((resolve) => createInterface({ input: process.stdin }).once("line", resolve));
  say({ phase: "kill", primary: before });
  await killed;
  await w.progress(20, 30_000);
  const report = await w.stopAndCheck();
  const after = await primaryOf(watcher);
  watcher.close();
  say({ phase: "done", before, after, ...report });
}

main().then(() => process.exit(0), (err: unknown) => {
  say({ phase: "failed", error: String(err instanceof Error ? err.stack : err) });
  process.exit(1);
});
