// The young generation of a chat-cluster process stays small (young-generation.ts): the V8
// behaviour it relies on, and that the CLI module really sets it before anything grows it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const builtCli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** The new space's size (bytes) after `setup` and then plenty of surviving allocation. */
function newSpaceAfter(setup: string): number {
  const script = `
    const v8 = await import("node:v8");
    ${setup}
    const keep = new Array(200000);
    for (let i = 0; i < 2000000; i++) keep[i % keep.length] = { i, text: "x" + i };
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    console.log(space.space_size);`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

const twoMiB = 2 * 1024 * 1024;

test("V8 grows the young generation by itself, and not once its growth factor is 1", () => {
  assert.ok(newSpaceAfter("") >= 8 * twoMiB);
  assert.ok(newSpaceAfter('v8.setFlagsFromString("--semi-space-growth-factor=1");') <= twoMiB);
});

test("loading the chat-cluster CLI keeps the young generation small", () => {
  assert.ok(newSpaceAfter(`await import(${JSON.stringify(builtCli)});`) <= twoMiB);
});
