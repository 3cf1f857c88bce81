// The `chat-cluster status` table: one row per node, "-" for what a down node cannot say, and a
// node still loading its state marked in the role column (the exit code reads the bare role).
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderTable } from "./status-client.js";

test("the status table marks a loading node and shows a down node's unknowns as -", () => {
  const up = { epoch: 2, commitIndex: 9, lastIndex: 9, inView: true };
  const table = renderTable([
    { address: "127.0.0.1:1", id: 0, role: "primary", ...up, loading: false },
    { address: "127.0.0.1:2", id: 1, role: "backup", ...up, loading: true },
    { address: "127.0.0.1:3", role: "down" },
  ]);
  const lines = table.split("\n");
  assert.match(lines[0]!, /^node\s+address\s+role\s+epoch\s+commit\s+last\s+in view$/);
  assert.match(lines[1]!, /^0\s+127\.0\.0\.1:1\s+primary\s+2\s+9\s+9\s+yes$/);
  assert.match(lines[2]!, /^1\s+127\.0\.0\.1:2\s+backup \(loading\)\s+2\s+9\s+9\s+yes$/);
  assert.match(lines[3]!, /^\?\s+127\.0\.0\.1:3\s+down\s+-\s+-\s+-\s+-$/);
});
