// Test helper: a small world with every kind of state — sessions, dedup keys, read marks, a
// deleted and re-used name — for snapshot round trips.
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

