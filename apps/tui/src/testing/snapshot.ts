// A tiny text-snapshot helper: compares with `__snapshots__/<name>.txt` beside the test,
// writes it when missing, rewrites all with UPDATE_SNAPSHOTS=1.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function matchSnapshot(testUrl: string, name: string, actual: string): void {
  const dir = join(dirname(fileURLToPath(testUrl)), "__snapshots__");
  const file = join(dir, `${name}.txt`);
  const text = actual.endsWith("\n") ? actual : `${actual}\n`;
  if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(
    text,
    readFileSync(file, "utf8"),
    `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 rewrites it)`
  );
}
