// Property tests: applying the same random command sequence gives the same state and
// outcomes, and snapshot + replay of the rest equals replaying everything.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { applyCommand } from "./apply.js";
import type { Command } from "./commands.js";
import { stateDigest } from "./digest.js";
import { checkInvariants } from "./invariants.js";
import { dedupRetainMs, sessionTtlMs } from "./limits.js";
import { eventsAfter, history, listUsers, unreadCounts } from "./queries.js";
import {
  captureSnapshot,
  restoreSnapshot,
  snapshotMessages,
  type SnapshotHeader,
} from "./snapshot.js";
import type { MessageRow } from "./message-log.js";
import {
  chunkedHeader,
  SnapshotRestorer,
  snapshotChunks,
  type ChunkedSnapshotHeader,
  type SnapshotChunk,
} from "./snapshot-chunks.js";
import { createState, type ChatState } from "./state.js";
import type { Message } from "./types.js";

const names = ["alice", "bob", "carol", "dave", "no way"];
const actor = fc.nat(3);
/** Each actor has two session slots, so tokens are usually live but sometimes not. */
const tokenOf = (who: number, slot: number) => `t${who}${slot}`;
const slot = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.constant(1));
const peer = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("alice", "Bob", "carol", "dave") },
  fc.constant("no way")
);
const password = fc.oneof({ weight: 5, arbitrary: fc.constant("h-right") }, fc.constant("h-wrong"));
const requestId = fc.oneof({ weight: 9, arbitrary: fc.uuid() }, fc.constantFrom("r0", "r1"));
const clientMsgId = fc.oneof({ weight: 3, arbitrary: fc.uuid() }, fc.constantFrom("c0", "c1"));

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .record({
        kind: fc.constant("register"),
        requestId,
        who: actor,
        slot,
        passwordHash: password,
      })
      .map(({ who, slot: s, ...rest }) => ({
        ...rest,
        username: names[who] as string,
        tokenHash: tokenOf(who, s),
      })),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({ kind: fc.constant("login"), requestId, who: actor, slot, passwordHash: password })
      .map(({ who, slot: s, ...rest }) => ({
        ...rest,
        username: (names[who] as string).toUpperCase(),
        tokenHash: tokenOf(who, s),
      })),
  },
  fc
    .record({ kind: fc.constant("logout"), requestId, who: actor, slot })
    .map(({ who, slot: s, ...rest }) => ({
      ...rest,
      tokenHash: tokenOf(who, s),
    })),
  fc
    .record({
      kind: fc.constant("delete-account"),
      requestId,
      who: actor,
      slot,
      confirm: fc.boolean(),
    })
    .map(({ who, slot: s, confirm, ...rest }) => ({
      ...rest,
      tokenHash: tokenOf(who, s),
      confirmUsername: confirm ? (names[who] as string) : "someone",
    })),
  {
    weight: 12,
    arbitrary: fc
      .record({
        kind: fc.constant("send"),
        requestId,
        who: actor,
        slot,
        to: peer,
        text: fc.oneof(
          { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
          fc.constantFrom("", "bad\u0000")
        ),
        clientMsgId,
        messageId: fc.uuid(),
        sentAtMs: fc.integer({ min: 0, max: 2 ** 40 }),
      })
      .map(({ who, slot: s, ...rest }) => ({ ...rest, tokenHash: tokenOf(who, s) })),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        kind: fc.constant("mark-read"),
        requestId,
        who: actor,
        slot,
        peer,
        upToSeq: fc.nat(60),
      })
      .map(({ who, slot: s, ...rest }) => ({ ...rest, tokenHash: tokenOf(who, s) })),
  }
);

/** An operation: a new command, or a retry of an earlier one (same request id), possibly
 * arriving through another node that minted a new token. */
type Op = { cmd: Command } | { retry: number; newToken: boolean };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: command.map((cmd) => ({ cmd })) },
  { weight: 1, arbitrary: fc.record({ retry: fc.nat(), newToken: fc.boolean() }) }
);

/** Log time advances: mostly small steps, sometimes past the dedup or session horizon. */
const step = fc.oneof(
  { weight: 200, arbitrary: fc.nat(2_000) },
  { weight: 6, arbitrary: fc.constant(dedupRetainMs) },
  { weight: 1, arbitrary: fc.constant(sessionTtlMs) }
);

/** Every actor starts registered with both session slots, so most commands get through. */
const prologue: [Command, number][] = names
  .slice(0, 4)
  .flatMap((username, who): [Command, number][] => [
    [
      {
        kind: "register",
        requestId: `p${who}`,
        username,
        passwordHash: "h-right",
        tokenHash: tokenOf(who, 0),
      },
      1,
    ],
    [
      {
        kind: "login",
        requestId: `q${who}`,
        username,
        passwordHash: "h-right",
        tokenHash: tokenOf(who, 1),
      },
      1,
    ],
  ]);

function resolve(ops: readonly [Op, number][]): [Command, number][] {
  const entries = [...prologue];
  for (const [o, advance] of ops) {
    if ("cmd" in o) {
      entries.push([o.cmd, advance]);
      continue;
    }
    const [earlier] = entries[o.retry % entries.length] as [Command, number];
    const retried =
      o.newToken && "tokenHash" in earlier
        ? { ...earlier, tokenHash: `fresh-${entries.length}` }
        : earlier;
    entries.push([retried, advance]);
  }
  return entries;
}

const log = fc
  .array(fc.tuple(op, step), { minLength: 1, maxLength: 120, size: "max" })
  .map(resolve);

function replay(
  state: ChatState,
  entries: readonly [Command, number][],
  from: number,
  to: number
): unknown[] {
  const outcomes: unknown[] = [];
  let ts = 0;
  for (let i = 0; i < to; i++) {
    const [cmd, advance] = entries[i] as [Command, number];
    ts += advance;
    if (i >= from) outcomes.push(applyCommand(state, cmd, { index: i + 1, ts }));
  }
  return outcomes;
}

function views(state: ChatState): unknown {
  const users = listUsers(state, { limit: 1000 }, () => false);
  const perUser = names.map((user) => {
    const u = user;
    return {
      unread: unreadCounts(state, u),
      events: eventsAfter(state, u, 0, 1000),
      history: names.map((peer) => history(state, u, { peer })),
    };
  });
  return { users, perUser };
}


/**
 * Applies the first `cut` entries (cut = cutSeed mod the log's length + 1), captures a snapshot
 * there and `freeze`s what must be read at once (the header), then keeps applying to a later
 * point, as a node does while it streams the capture out.
 */
function snapshotWhileApplying<T>(entries: readonly [Command, number][], cutSeed: number, laterSeed: number,
  freeze: (capture: ReturnType<typeof captureSnapshot>) => T) {
  const cut = cutSeed % (entries.length + 1);
  const live = createState();
  replay(live, entries, 0, cut);
  const capture = captureSnapshot(live);
  const frozen = freeze(capture);
  replay(live, entries, cut, cut + (laterSeed % (entries.length - cut + 1)));
  return { cut, capture, frozen };
}

/**
 * A state restored from a snapshot taken at `cut` holds the invariants, and replaying the rest
 * gives the outcomes, digest and views of replaying everything.
 */
function assertContinuesLike(restored: ChatState, entries: readonly [Command, number][], cut: number): void {
  const full = createState();
  const fullOutcomes = replay(full, entries, 0, entries.length);
  checkInvariants(restored);
  const restOutcomes = replay(restored, entries, cut, entries.length);
  assert.deepEqual(restOutcomes, fullOutcomes.slice(cut));
  assert.equal(stateDigest(restored), stateDigest(full));
  assert.deepEqual(views(restored), views(full));
}
describe("determinism", () => {
  it("the same commands give the same digest, outcomes and views", () => {
    fc.assert(
      fc.property(log, (entries) => {
        const a = createState();
        const b = createState();
        const outcomesA = replay(a, entries, 0, entries.length);
        const outcomesB = replay(b, entries, 0, entries.length);
        assert.deepEqual(outcomesB, outcomesA);
        assert.equal(stateDigest(b), stateDigest(a));
        checkInvariants(a);
      }),
      { numRuns: 150 }
    );
  });

  it("snapshot at any point + replay of the rest equals replaying everything", () => {
    fc.assert(
      fc.property(log, fc.nat(), fc.nat(), (entries, cutSeed, laterSeed) => {
        const { cut, capture, frozen: header } =
          snapshotWhileApplying(entries, cutSeed, laterSeed, (c) => JSON.stringify(c.header));
        const messages = JSON.parse(JSON.stringify(snapshotMessages(capture, 0, 1e9))) as Message[];
        const restored = restoreSnapshot(JSON.parse(header) as SnapshotHeader, messages);
        assertContinuesLike(restored, entries, cut);
      }),
      { numRuns: 150 }
    );
  });

  it("format 3 snapshot (messages unparsed) at any point + replay equals replaying all", () => {
    const rowsPerChunk = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(log, fc.nat(), fc.nat(), rowsPerChunk, (entries, cutSeed, laterSeed, rows) => {
        const { cut, capture, frozen: header } =
          snapshotWhileApplying(entries, cutSeed, laterSeed, (c) => JSON.stringify(chunkedHeader(c)));
        // Streamed out chunk by chunk while the state keeps applying.
        const lines = [...snapshotChunks(capture, rows)].map((c) => JSON.stringify(c));
        const restorer = new SnapshotRestorer(JSON.parse(header) as ChunkedSnapshotHeader);
        for (const line of lines) {
          const chunk = JSON.parse(line) as SnapshotChunk;
          const parse = (): MessageRow[] => (JSON.parse(line) as { rows: MessageRow[] }).rows;
          if (chunk.t !== "messages") restorer.add(chunk);
          else restorer.addUnparsed(chunk.from, chunk.n!, parse);
        }
        assertContinuesLike(restorer.finish(), entries, cut);
      }),
      { numRuns: 150 }
    );
  });

  it("replays 10k commands to equal digests quickly", () => {
    const entries = resolve(fc.sample(fc.tuple(op, step), { numRuns: 10_000, seed: 42 }));
    const a = createState();
    const b = createState();
    replay(a, entries, 0, entries.length);
    replay(b, entries, 0, entries.length);
    checkInvariants(a);
    assert.equal(stateDigest(a), stateDigest(b));
    assert.ok(a.messages.length > 0, "the random log should contain some sends");
  });
});
