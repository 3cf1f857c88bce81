// End to end: a short nemesis (≈20 s of faults, 4 clients, a fixed seed) against real node
// processes must finish with zero violations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runNemesis } from "./nemesis.js";

test("a short nemesis run: nothing lost, duplicated, reordered or invented", async () => {
  const result = await runNemesis({
    durationS: 20, clients: 4, seed: "npm-test-1", dir: mkdtempSync(join(tmpdir(), "chat-nemesis-test-")),
    keepAlways: false, log: () => {}, intervalS: [1.5, 3.5],
  });
  console.log(result.text);
  assert.ok(result.summary.nemesisOps >= 3, "the nemesis did something");
  assert.ok(result.summary.acked > 0, "clients got acks");
  assert.equal(result.ok, true, result.text);
});
