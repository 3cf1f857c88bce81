#!/usr/bin/env node
// Runs a package's tests with node's own test runner: every *.test.ts(x) under src/ and test/.
// Node 20's `--test` does not expand globs, so this finds the files and passes them on.
// Usage (from a package directory): node ../../bin/run-tests.js [name-filter ...]
import { readdirSync, statSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const filters = process.argv.slice(2);
const found = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.test\.tsx?$/.test(name)) found.push(path);
  }
};
for (const dir of ["src", "test"]) if (existsSync(dir)) walk(dir);
const files = found
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.log(`${relative(process.cwd(), ".") || "."}: no test files`);
  process.exit(0);
}
const args = ["--import", "tsx", "--test", "--test-concurrency=1", ...files];
const run = spawnSync(process.execPath, args, { stdio: "inherit", env: { ...process.env } });
process.exit(run.status ?? 1);
