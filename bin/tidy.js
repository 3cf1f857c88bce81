#!/usr/bin/env node
// Holds every package to the dependency table of shared STYLE.md: what each package may
// import, that it declares what it imports, and that nobody reaches into another package's
// src/ or out of its own folder. Also flags very long lines and files. Exit 1 on a violation.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const any = (name) => true;
const node = (name) => name.startsWith("node:");
const only = (...names) => (name) => names.includes(name);
const rules = {
  "libs/chat-state": { runtime: only(), test: (n) => node(n) || n === "fast-check" },
  "libs/replication": { runtime: only(), test: (n) => node(n) || n === "fast-check" },
  "libs/storage": { runtime: (n) => node(n) || n === "lowdb" || n === "lowdb/node", test: (n) => node(n) || n === "fast-check" },
  "libs/proto": { runtime: (n) => n.startsWith("@bufbuild/protobuf") || n === "@grpc/grpc-js" || n === "@grpc/reflection", test: any },
  "libs/client": { runtime: (n) => node(n) || ["@chat-tui/proto", "@grpc/grpc-js", "@bufbuild/protobuf"].includes(n), test: any },
  "apps/cluster": {
    runtime: (n) => node(n) || ["@chat-tui/replication", "@chat-tui/chat-state", "@chat-tui/storage", "@chat-tui/proto",
      "@grpc/grpc-js", "@bufbuild/protobuf", "@grpc/reflection", "grpc-health-check", "pino"].includes(n),
    test: any,
  },
  "apps/tui": {
    runtime: (n) => node(n) || ["@chat-tui/client", "@chat-tui/chat-state", "ink", "react", "react/jsx-runtime",
      "string-width", "wrap-ansi"].includes(n),
    test: any,
  },
  "apps/bench": { runtime: (n) => node(n) || ["@chat-tui/client", "@chat-tui/proto", "@grpc/grpc-js", "@bufbuild/protobuf"].includes(n), test: any },
};

const packageName = (spec) => spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
const problems = [];
const warnings = [];
const importPattern = /(?:^|[^\w.])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s+["']([^"']+)["']/gm;

function files(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name === "gen") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

for (const [pkgDir, rule] of Object.entries(rules)) {
  const abs = join(root, pkgDir);
  if (!existsSync(abs)) continue;
  const pkg = JSON.parse(readFileSync(join(abs, "package.json"), "utf8"));
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const rootDev = new Set(Object.keys(rootPkg.devDependencies ?? {}));
  for (const file of [...files(join(abs, "src")), ...files(join(abs, "test"))]) {
    const rel = relative(root, file);
    const text = readFileSync(file, "utf8");
    const isTest = /\.test\.tsx?$/.test(file) || /[/\\](testing|test|sim)[/\\]/.test(file);
    for (const m of text.matchAll(importPattern)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(abs)) problems.push(`${rel}: relative import "${spec}" leaves the package`);
        continue;
      }
      if (/^@chat-tui\/[^/]+\/src/.test(spec)) problems.push(`${rel}: imports another package's src ("${spec}")`);
      const allowed = isTest ? (rule.test(spec) || rule.runtime(spec)) : rule.runtime(spec);
      if (!allowed) problems.push(`${rel}: ${pkgDir} may not import "${spec}"${isTest ? "" : " (outside tests)"}`);
      const name = packageName(spec);
      if (!node(spec) && !declared.has(name) && !(isTest && rootDev.has(name))) {
        problems.push(`${rel}: imports "${name}" without declaring it in ${pkgDir}/package.json`);
      }
    }
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (line.length > 120) warnings.push(`${rel}:${i + 1}: line of ${line.length} characters`);
    });
    if (lines.length > 600) warnings.push(`${rel}: ${lines.length} lines (aim for ~400)`);
  }
}

if (warnings.length > 0 && process.env.TIDY_VERBOSE) console.log(warnings.join("\n"));
if (problems.length > 0) {
  console.error(`tidy: ${problems.length} problem(s):\n${problems.join("\n")}`);
  process.exit(1);
}
console.log(`tidy: imports follow the dependency table (${warnings.length} style warning(s); TIDY_VERBOSE=1 lists them)`);
