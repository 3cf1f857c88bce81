// Makes sure dist/ is at least as new as src/ before an E2E run starts the built CLI.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

function newestMs(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMs(path) : st.mtimeMs);
  }
  return newest;
}

export function ensureBuilt(packageDir: string): string {
  const entry = join(packageDir, "dist", "cli-entry.js");
  if (!existsSync(entry) || statSync(entry).mtimeMs < newestMs(join(packageDir, "src"))) {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], {
      stdio: "inherit",
    });
  }
  return entry;
}
