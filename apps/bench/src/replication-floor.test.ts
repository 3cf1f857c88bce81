// The replication floor's client side: a broken stream fails the sends waiting on it (and
// later ones) instead of leaving the load waiting for answers that never come.
import { test } from "node:test";
import assert from "node:assert/strict";
import { text100 } from "./load.js";
import { freePorts } from "./proc-cluster.js";
import { floorPair } from "./replication-floor.js";

test("a floor send fails, not hangs, when nothing answers on the port", async () => {
  const [port] = await freePorts(1);
  const pair = floorPair(port!);
  try {
    await assert.rejects(pair.send(text100(1)));
    await assert.rejects(pair.send(text100(2)), "a later send fails at once");
  } finally {
    pair.close();
  }
});
