// Golden scenario tests: every testdata/*.txt is replayed; REWRITE=1 regenerates the outputs.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatScenario, parseScenario, ScenarioRunner } from "./scenario.js";

const dir = fileURLToPath(new URL("../../testdata/", import.meta.url));
const rewrite = process.env["REWRITE"] === "1";

for (const name of readdirSync(dir)
  .filter((f) => f.endsWith(".txt"))
  .sort()) {
  test(`scenario ${name}`, () => {
    const path = `${dir}${name}`;
    const { blocks, preamble } = parseScenario(readFileSync(path, "utf8"));
    const runner = new ScenarioRunner();
    const results = blocks.map((b) => ({
      command: b.command,
      output: runner.run(b.command),
      block: b,
    }));
    if (rewrite) {
      writeFileSync(path, formatScenario(preamble, results));
      return;
    }
    for (const r of results) {
      assert.equal(r.output, r.block.expected, `${name}:${r.block.line}: ${r.command}`);
    }
  });
}
