// Property tests of R18 planning (fast-check): a plan to stand always names a holder of N*,
// requires every member of V* to have answered with its storage, picks a fresh epoch, and
// never stands while a storage-faulted responder's reach is past N* (S4).

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compareLogs, type LogInfo, planRecovery } from "./recovery.js";
import type { View } from "./types.js";

const viewArb: fc.Arbitrary<View> = fc
  .record({
    epoch: fc.nat(4),
    index: fc.nat(20),
    ids: fc.subarray([0, 1, 2], { minLength: 1 }),
  })
  .map(({ epoch, index, ids }) => ({
    id: { epoch, index },
    members: ids.map((nodeId) => ({ nodeId, storageId: `d${nodeId}`, session: "s" })),
  }));

const infoArb = (nodeId: number): fc.Arbitrary<LogInfo> =>
  fc.record({
    nodeId: fc.constant(nodeId),
    storageId: fc.constantFrom(`d${nodeId}`, `d${nodeId}`, `x${nodeId}`),
    status: fc.constantFrom("recovering" as const, "joining" as const),
    epoch: fc.nat(6),
    lastIndex: fc.nat(20),
    lastEpoch: fc.nat(4),
    latestView: viewArb,
    vote: fc.record({ epoch: fc.nat(6), votedFor: fc.constantFrom(null, 0, 1, 2) }),
  }).chain((info) =>
    // S4: a faulted responder's reach is past its own intact prefix.
    fc
      .option(
        fc.record({
          lastEpoch: fc.integer({ min: info.lastEpoch, max: 6 }),
          lastIndex: fc.integer({ min: info.lastIndex + 1, max: 24 }),
        }),
        { freq: 3 },
      )
      .map((reach) => (reach === null ? info : { ...info, damagedReach: reach })),
  );

test("R18 plan: stand only with all of V* answered and a holder of N* as candidate", () => {
  fc.assert(
    fc.property(infoArb(0), fc.option(infoArb(1)), fc.option(infoArb(2)), (self, a1, a2) => {
      const answers = [a1, a2].filter((a): a is LogInfo => a !== null);
      const plan = planRecovery(self, answers);
      if (plan.kind === "wait") return;
      const all = [self, ...answers];
      const best = all.reduce((x, y) => (compareLogs(y, x) > 0 ? y : x));
      const cand = all.find((a) => a.nodeId === plan.candidate)!;
      assert.equal(compareLogs(cand, best), 0);
      // S4: a faulted log never stands, and no faulted responder may reach past N*.
      assert.equal(cand.damagedReach, undefined);
      for (const a of all) if (a.damagedReach) assert.ok(compareLogs(a.damagedReach, best) <= 0);
      for (const m of plan.vStar.members) {
        const r = all.find((a) => a.nodeId === m.nodeId);
        assert.ok(r !== undefined && r.storageId === m.storageId);
      }
      for (const a of all) assert.ok(plan.epoch > Math.max(a.epoch, a.vote.epoch, a.lastEpoch));
    }),
    { numRuns: 500 },
  );
});

test("R18 override (unclean): never waits for V* members, leaves out exactly those that do not answer as themselves", () => {
  fc.assert(
    fc.property(infoArb(0), fc.option(infoArb(1)), fc.option(infoArb(2)), (self, a1, a2) => {
      const answers = [a1, a2].filter((a): a is LogInfo => a !== null);
      const clean = planRecovery(self, answers);
      const plan = planRecovery(self, answers, { unclean: true });
      if (plan.kind === "wait") {
        // Only a current node makes it wait, or N* held only by a faulted log (never stands).
        const why = /is (primary|backup|candidate)$|only a log with a damaged reach holds N\*/;
        assert.match(plan.why, why);
        return;
      }
      if (clean.kind === "stand") assert.deepEqual(plan, clean, "no effect when nothing is missing");
      const all = [self, ...answers];
      const missing = plan.vStar.members
        .filter((m) => !all.some((a) => a.nodeId === m.nodeId && a.storageId === m.storageId))
        .map((m) => m.nodeId);
      assert.deepEqual(plan.dropped, missing);
      const best = all.reduce((x, y) => (compareLogs(y, x) > 0 ? y : x));
      assert.equal(compareLogs(all.find((a) => a.nodeId === plan.candidate)!, best), 0);
    }),
    { numRuns: 500 },
  );
});
