import { CommitLog } from "./commit-log.js";
import { noSyncIo } from "./testing/fixtures.js";
import * as fs from "node:fs/promises";
const dir = "/tmp/perfwal";
await fs.rm(dir, { recursive: true, force: true });
let t = performance.now();
const { log } = await CommitLog.open(dir, { io: noSyncIo });
const N = 1_000_000, chunk = 50_000;
for (let i = 1; i <= N; i += chunk) {
  const batch = [];
  for (let j = 0; j < chunk; j++) { const index = i + j; batch.push({ index, epoch: 1, json: `{"index":${index},"epoch":1,"kind":"cmd","ts":${index}}` }); }
  await log.appendRaw(batch);
}
await log.close();
console.log("write raw ms", performance.now() - t);
