// End to end: a short nemesis (≈20 s of faults, 4 clients, a fixed seed) against real node
// processes must finish with zero violations, and its faults must have happened (each killed
// node really restarted); a run refuses a used directory; a failed run stops its clients.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJsonl } from "./history.js";
import { runNemesis } from "./nemesis.js";
import { sleep } from "./stats.js";

const quiet = (): void => {};

test("a short nemesis run: nothing lost, duplicated, reordered or invented", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-nemesis-test-"));
  try {
    const result = await runNemesis({
      durationS: 20, clients: 4, seed: "npm-test-1", dir, keepAlways: true, log: quiet, intervalS: [1.5, 3.5],
    });
    console.log(result.text);
    assert.ok(result.summary.acked > 0, "clients got acks");
    assert.equal(result.ok, true, result.text);
    // The faults the summary counts are the ones the history records, each acting on nodes.
    const faults = parseJsonl(readFileSync(join(dir, "history.jsonl"), "utf8"))
      .flatMap((r) => (r.kind === "nemesis" && r.op !== "resume" ? [r] : []));
    assert.equal(result.summary.nemesisOps, faults.length);
    for (const f of faults) assert.ok(f.nodes.length > 0, `${f.op} at ${f.t} ms acted on no node`);
    // Every node killed really went down and came back: its log shows a second start.
    const killed = new Set(faults.filter((f) => f.op.startsWith("kill")).flatMap((f) => f.nodes));
    assert.ok(killed.size > 0, "the nemesis killed a node");
    for (const id of killed) {
      const log = readFileSync(join(dir, "cluster", `node-${id}.log`), "utf8");
      const starts = log.split("\n").filter((line) => line.includes('"msg":"node serving"')).length;
      assert.ok(starts >= 2, `node ${id} was killed, yet started ${starts} time(s)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a nemesis run refuses a directory that holds an earlier run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-nemesis-used-"));
  try {
    writeFileSync(join(dir, "history.jsonl"), "");
    await assert.rejects(runNemesis({ durationS: 1, clients: 2, seed: "s", dir, keepAlways: true, log: quiet }),
      /not empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a run that fails stops its clients' send loops before it returns", async () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-nemesis-fail-"));
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  try {
    const before = timers();
    const failAtHeal = (line: string): void => {
      if (line.startsWith("heal")) throw new Error("injected failure at heal");
    };
    await assert.rejects(runNemesis({ durationS: 2, clients: 2, seed: "fail", dir, keepAlways: true,
      log: failAtHeal, intervalS: [5, 5] }), /injected failure/);
    // Running loops would keep a pause timer each between sends (5–40 ms), failing fast.
    const samples: number[] = [];
    for (let k = 0; k < 10; k++) {
      samples.push(timers());
      await sleep(50);
    }
    assert.ok(Math.min(...samples) <= before, `timers left running: ${samples.join(",")} (before ${before})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
