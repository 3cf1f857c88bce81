// Property tests of the log (fast-check): viewAt/latestView agree with a brute-force scan under
// random appends, truncations and compactions.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { bootstrapView, Log, viewOfEntry } from "./log.js";
import type { LogEntry, View } from "./types.js";

type Op =
  | { kind: "append"; view: boolean; bump: boolean }
  | { kind: "truncate"; back: number }
  | { kind: "compact"; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("append" as const), view: fc.boolean(), bump: fc.boolean() }),
  fc.record({ kind: fc.constant("truncate" as const), back: fc.nat(5) }),
  fc.record({ kind: fc.constant("compact" as const), back: fc.nat(5) })
);

test("log: viewAt and latestView match a brute-force model", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const boot = bootstrapView([0, 1, 2]);
      const log = new Log({ index: 0, epoch: 0, ts: 0, view: boot }, []);
      let model: LogEntry[] = [];
      let base = { index: 0, view: boot as View };
      let epoch = 1;
      for (const op of ops) {
        if (op.kind === "append") {
          if (op.bump) epoch++;
          const index = log.lastIndex() + 1;
          const e: LogEntry = op.view
            ? {
                index,
                epoch,
                ts: index,
                kind: "view",
                members: [{ nodeId: index % 3, storageId: "d", session: "s" }],
              }
            : { index, epoch, ts: index, kind: "cmd", requestId: `r${index}` };
          log.append([e]);
          model.push(e);
        } else if (op.kind === "truncate") {
          const to = Math.max(base.index, log.lastIndex() - op.back);
          log.truncateAfter(to);
          model = model.filter((e) => e.index <= to);
        } else {
          const at = Math.max(base.index, log.lastIndex() - op.back);
          if (at === base.index) continue;
          const view = log.viewAt(at);
          const e = log.entry(at)!;
          log.resetTo({ index: at, epoch: e.epoch, ts: e.ts, view }, true);
          base = { index: at, view };
          model = model.filter((x) => x.index > at);
        }
        for (let i = base.index; i <= log.lastIndex(); i++) {
          const views = model.filter((x) => x.kind !== "cmd" && x.index <= i);
          const expect = views.length > 0 ? viewOfEntry(views[views.length - 1]!) : base.view;
          assert.deepEqual(log.viewAt(i), expect);
        }
        const vs = model.filter((x) => x.kind !== "cmd");
        assert.deepEqual(
          log.latestView(),
          vs.length > 0 ? viewOfEntry(vs[vs.length - 1]!) : base.view
        );
      }
    }),
    { numRuns: 200 }
  );
});
