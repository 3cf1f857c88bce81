// Test helper: a small world with every kind of state — sessions, dedup keys, read marks, a
// deleted and re-used name — for snapshot round trips.
import assert from "node:assert/strict";
import { stateDigest } from "../digest.js";
import { checkInvariants } from "../invariants.js";
import { eventsAfter, history, unreadCounts } from "../queries.js";
import type { ChatState } from "../state.js";
import { World } from "./world.js";

/** A small world with every kind of state: sessions, dedup keys, marks, a re-used name. */
export function busyWorld(): { w: World; alice: string; bob: string; carol: string } {
  const w = new World();
  const alice = w.register("alice");
  const bob = w.register("bob");
  const carol = w.register("carol");
  for (let i = 0; i < 20; i++) {
    w.send(
      [alice, bob, carol][i % 3] as string,
      ["bob", "carol", "alice"][i % 3] as string,
      `m${i}`
    );
  }
  w.markRead(alice, "carol", 9);
  w.markRead(bob, "alice", 4);
  w.must({
    kind: "delete-account",
    requestId: "del-carol",
    tokenHash: carol,
    confirmUsername: "carol",
  });
  const carol2 = w.register("carol");
  w.send(carol2, "bob", "I am the new carol");
  w.must({ kind: "logout", requestId: "out", tokenHash: w.login("bob") });
  return { w, alice, bob, carol: carol2 };
}


/** A restored state equals the original: invariants, digest, indexes, and every query of the busy world's users. */
export function assertSameState(restored: ChatState, original: ChatState): void {
  checkInvariants(restored);
  assert.equal(stateDigest(restored), stateDigest(original));
  assert.deepEqual(restored.indexes, original.indexes);
  assert.deepEqual(restored.usernames, original.usernames);
  const users = ["alice", "bob", "carol"];
  for (const user of users) {
    assert.deepEqual(unreadCounts(restored, user), unreadCounts(original, user));
    assert.deepEqual(eventsAfter(restored, user, 0, 100), eventsAfter(original, user, 0, 100));
    for (const peer of users) {
      if (peer !== user) assert.deepEqual(history(restored, user, { peer }), history(original, user, { peer }));
    }
  }
}
