// Unit tests of the core's pure rules: the self-pause guard, vote rules (CE22 ship vs CE23
// refuse), fencing, R18 planning (S4 faulted responders), S4 repair, and log time from the
// log, not the host clock (CE15).

import assert from "node:assert/strict";
import { test } from "node:test";
import { bootstrapView } from "./log.js";
import { planRecovery, type LogInfo } from "./recovery.js";
import { TIMING_DEFAULT } from "./limits.js";
import { Replica } from "./replica.js";
import type { Action, Durable, LogEntry, Member, Message } from "./types.js";

const members = [{ nodeId: 0 }, { nodeId: 1 }, { nodeId: 2 }];
const m = (nodeId: number, session: string): Member => ({
  nodeId,
  storageId: `d${nodeId}`,
  session,
});

function replica(nodeId: number, durable: Partial<Durable>, seed = 1): Replica {
  let x = seed;
  const random = (): number => (x = (x * 16807) % 2147483647) / 2147483647;
  return new Replica(
    { nodeId, members, exclusion: "timed", random },
    {
      storageId: `d${nodeId}`,
      epoch: 0,
      votedFor: null,
      entries: [],
      commitHint: 0,
      ...durable,
    }
  );
}

function header(from: number, epoch: number, viewId = { epoch: 1, index: 1 }, session = "s1") {
  return {
    from,
    storageId: `d${from}`,
    incarnation: `i${from}`,
    session,
    epoch,
    viewId,
    status: "backup" as const,
  };
}

const barrier1: LogEntry = {
  index: 1,
  epoch: 1,
  ts: 0,
  kind: "barrier",
  members: [m(0, "s0"), m(1, "s1"), m(2, "s2")],
};

function sends(actions: Action[]): Message[] {
  return actions.flatMap((a) => (a.kind === "send" ? [a.msg] : []));
}

test("R8: a gap over θ trips the guard: recovering with a new session", () => {
  const r = replica(0, {});
  r.step({ kind: "tick", nowMs: 0 });
  const before = r.status().session;
  const out = r.step({ kind: "tick", nowMs: 500 });
  assert.equal(r.status().role, "recovering");
  assert.equal(r.status().pauseEpoch, 1);
  assert.notEqual(r.status().session, before);
  assert.ok(out.some((a) => a.kind === "role" && a.reason.startsWith("self-pause")));
});

test("CE22: a voter whose newer view lists C and whose log extends C's ships its suffix", () => {
  const refresh: LogEntry = {
    index: 2,
    epoch: 1,
    ts: 1,
    kind: "view",
    members: [m(0, "s0"), m(1, "s1"), m(2, "s2b")],
  };
  const y = replica(2, { epoch: 1, entries: [barrier1, refresh], commitHint: 1 });
  y.step({ kind: "tick", nowMs: 0 });
  const out = y.step({
    kind: "message",
    nowMs: 1,
    msg: {
      ...header(1, 2),
      kind: "vote-request",
      recovery: false,
      lastIndex: 1,
      lastEpoch: 1,
      nonce: "n1",
    },
  });
  const reply = sends(out).find((x) => x.kind === "vote-reply");
  assert.ok(reply && reply.kind === "vote-reply");
  assert.equal(reply.granted, false);
  assert.equal(reply.reason, "ship");
  assert.deepEqual(
    reply.suffix?.map((e) => e.index),
    [2]
  );
});

test("CE23: a voter whose log does not extend C's refuses instead of shipping", () => {
  const barrier2: LogEntry = {
    index: 2,
    epoch: 2,
    ts: 1,
    kind: "barrier",
    members: [m(0, "s0x"), m(1, "s1"), m(2, "s2")],
  };
  const y = replica(2, { epoch: 2, votedFor: 2, entries: [barrier1, barrier2], commitHint: 1 });
  y.step({ kind: "tick", nowMs: 0 });
  // C = n1 holds 2/e1 (m) — same index as Y's barrier, different epoch.
  const out = y.step({
    kind: "message",
    nowMs: 1,
    msg: {
      ...header(1, 3),
      kind: "vote-request",
      recovery: false,
      lastIndex: 2,
      lastEpoch: 1,
      nonce: "n1",
    },
  });
  const reply = sends(out).find((x) => x.kind === "vote-reply");
  assert.ok(reply && reply.kind === "vote-reply");
  assert.equal(reply.granted, false);
  assert.equal(reply.reason, "newer view");
  assert.equal(reply.suffix, undefined);
});

test("R15: a vote is sent only after it is durable", () => {
  const y = replica(2, { epoch: 1, entries: [barrier1], commitHint: 1 });
  y.step({ kind: "tick", nowMs: 0 });
  const out = y.step({
    kind: "message",
    nowMs: 1,
    msg: {
      ...header(1, 2),
      kind: "vote-request",
      recovery: false,
      lastIndex: 1,
      lastEpoch: 1,
      nonce: "n1",
    },
  });
  const persist = out.find((a) => a.kind === "persist-hard-state");
  assert.ok(persist && persist.kind === "persist-hard-state");
  assert.equal(
    sends(out).some((x) => x.kind === "vote-reply"),
    false
  );
  const after = y.step({ kind: "persisted", nowMs: 2, token: persist.token });
  const reply = sends(after).find((x) => x.kind === "vote-reply");
  assert.ok(reply && reply.kind === "vote-reply" && reply.granted);
});

test("fencing: an append from a lower epoch is refused with the higher epoch", () => {
  const y = replica(2, { epoch: 3, entries: [barrier1], commitHint: 1 });
  y.step({ kind: "tick", nowMs: 0 });
  const out = y.step({
    kind: "message",
    nowMs: 1,
    msg: {
      ...header(0, 1),
      status: "primary",
      kind: "append",
      prevIndex: 1,
      prevEpoch: 1,
      entries: [],
      commit: 1,
      round: 1,
    },
  });
  const reply = sends(out).find((x) => x.kind === "append-reply");
  assert.ok(reply && reply.kind === "append-reply" && !reply.success && reply.epoch === 3);
  assert.equal(y.status().role, "recovering");
});

const info = (
  nodeId: number,
  lastEpoch: number,
  lastIndex: number,
  view: LogInfo["latestView"]
): LogInfo => ({
  nodeId,
  storageId: `d${nodeId}`,
  status: "recovering",
  epoch: lastEpoch,
  lastIndex,
  lastEpoch,
  latestView: view,
  vote: { epoch: lastEpoch, votedFor: null },
});

test("R18/CE2: wait while a member of V* has not answered; stand once all answered", () => {
  const v01 = { id: { epoch: 1, index: 3 }, members: [m(0, "a"), m(1, "b")] };
  const v012 = bootstrapView([0, 1, 2]);
  const wait = planRecovery(info(1, 1, 3, v01), [info(2, 1, 1, v012)]);
  assert.deepEqual(wait, { kind: "wait", why: "V* member n0 has not answered" });
  const stand = planRecovery(info(1, 1, 3, v01), [info(2, 1, 1, v012), info(0, 1, 4, v01)]);
  assert.equal(stand.kind, "stand");
  assert.equal(stand.kind === "stand" && stand.candidate, 0);
});

test("S4/R18: a faulted prefix is eligible; R18 waits while a faulted reach is past N*", () => {
  const v01 = { id: { epoch: 1, index: 2 }, members: [m(0, "a"), m(1, "b")] };
  const faulted = (lastIndex: number, reach: number): LogInfo => ({
    ...info(0, 1, lastIndex, v01),
    damagedReach: { lastEpoch: 1, lastIndex: reach },
  });
  const wait = planRecovery(info(1, 1, 3, v01), [faulted(2, 5)]);
  assert.deepEqual(wait, {
    kind: "wait",
    why: "n0's damaged log may hold records past N* (reach 5/e1 > 3/e1)",
  });
  // A reach newer only by epoch (an upper bound when the last record is unreadable) waits too.
  const byEpoch = planRecovery(info(1, 1, 3, v01), [
    { ...faulted(2, 3), damagedReach: { lastEpoch: 2, lastIndex: 3 } },
  ]);
  assert.equal(byEpoch.kind, "wait");
  const stand = planRecovery(info(1, 1, 3, v01), [faulted(2, 3)]);
  assert.equal(stand.kind === "stand" && stand.candidate, 1);
  // The faulted node's own plan agrees, and it never names itself.
  const own = planRecovery(faulted(2, 3), [info(1, 1, 3, v01)]);
  assert.equal(own.kind === "stand" && own.candidate, 1);
});

test("S4: a faulted node answers with its prefix and reach, repairs by truncating first", () => {
  const e = (index: number): LogEntry => ({
    index,
    epoch: 1,
    ts: 0,
    kind: "cmd",
    requestId: `r${index}`,
  });
  const r = replica(2, {
    epoch: 1,
    entries: [barrier1, e(2)],
    commitHint: 2,
    storageFault: { firstDamagedIndex: 3, lastIndexReached: 5 },
  });
  const start = r.step({ kind: "tick", nowMs: 0 });
  assert.ok(start.some((a) => a.kind === "role" && a.reason.includes("storage-faulted")));
  // A recovery candidate behind the damaged log's reach gets no vote (R18 would wait for it).
  const ask = (lastIndex: number): Message => ({
    ...header(1, 3),
    status: "candidate",
    kind: "vote-request",
    recovery: true,
    lastIndex,
    lastEpoch: 1,
    nonce: `v${lastIndex}`,
  });
  const refused = sends(r.step({ kind: "message", nowMs: 1, msg: ask(4) }));
  assert.ok(refused.some((x) => x.kind === "vote-reply" && x.reason === "log behind a damaged reach"));
  const ping = { ...header(0, 1), kind: "ping" as const, nonce: "p1", pauseEpoch: 0 };
  const answered = sends(r.step({ kind: "message", nowMs: 1, msg: ping }));
  const pong = answered.find((x) => x.kind === "pong");
  assert.ok(pong && pong.kind === "pong" && pong.lastIndex === 2);
  assert.deepEqual(pong.kind === "pong" && pong.damagedReach, { lastEpoch: 1, lastIndex: 5 });
  const append = {
    ...header(0, 2),
    status: "primary" as const,
    kind: "append" as const,
    prevIndex: 2,
    prevEpoch: 1,
    entries: [{ ...e(3), epoch: 2 }],
    commit: 2,
    round: 1,
  };
  const out = r.step({ kind: "message", nowMs: 2, msg: append });
  // Refinement 23: the reach reaches the hard state before the write that drops the damage.
  const writes = out.filter((a) => a.kind.startsWith("persist-"));
  const described = (a: Action): string =>
    a.kind === "persist-truncate" ? `truncate>${a.afterIndex}`
    : a.kind !== "persist-hard-state" ? a.kind
    : a.damagedReach === undefined ? `hard e${a.epoch}` : `hard reach=${JSON.stringify(a.damagedReach)}`;
  assert.deepEqual(writes.map(described),
    ["hard e2", 'hard reach={"lastEpoch":1,"lastIndex":5}', "truncate>2", "persist-entries"]);
  assert.equal(r.status().storageFaulted, true, "faulted until the repair is durable");
  const tokens = out.flatMap((a) => ("token" in a ? [a.token] : []));
  const after: Action[] = [];
  for (const [k, token] of tokens.entries()) after.push(...r.step({ kind: "persisted", nowMs: 3 + k, token }));
  assert.equal(r.status().storageFaulted, false);
  assert.equal(r.status().role, "joining");
  // The repaired log (3/e2) is past the reach (5/e1), epoch first: the reach is cleared,
  // durably, and pongs no longer carry it.
  assert.deepEqual(after.filter((a) => a.kind === "persist-hard-state").map(described), ["hard reach=null"]);
  const later = sends(r.step({ kind: "message", nowMs: 9, msg: { ...ping, nonce: "p2" } }));
  const pong2 = later.find((x) => x.kind === "pong");
  assert.ok(pong2 && pong2.kind === "pong" && pong2.damagedReach === undefined);
});

test("S4 (refinement 23): a reach kept in the hard state holds until the log passes it", () => {
  const e = (index: number): LogEntry => ({ index, epoch: 1, ts: 0, kind: "cmd", requestId: `r${index}` });
  const reach = { lastEpoch: 1, lastIndex: 5 };
  const r = replica(2, { epoch: 1, entries: [barrier1, e(2)], commitHint: 2, damagedReach: reach });
  const start = r.step({ kind: "tick", nowMs: 0 });
  assert.ok(!start.some((a) => a.kind === "persist-hard-state"), "not covered: kept");
  assert.equal(r.status().storageFaulted, false, "nothing damaged on disk");
  const ping = { ...header(0, 1), kind: "ping" as const, nonce: "p1", pauseEpoch: 0 };
  const pong = sends(r.step({ kind: "message", nowMs: 1, msg: ping })).find((x) => x.kind === "pong");
  assert.deepEqual(pong?.kind === "pong" && pong.damagedReach, reach);
  // A restart whose log already covers the kept reach (its clear was not durable) clears it.
  const covered = replica(2, { epoch: 1, entries: [barrier1, e(2), e(3), e(4), e(5)], commitHint: 2,
    damagedReach: reach });
  const cleared = covered.step({ kind: "tick", nowMs: 0 }).filter((a) => a.kind === "persist-hard-state");
  assert.deepEqual(cleared.map((a) => a.kind === "persist-hard-state" && a.damagedReach), [null]);
});

test("CE10: a probe reply to a probe sent before a self-pause is not fresh", () => {
  const r = replica(0, {});
  const first = r.step({ kind: "tick", nowMs: 0 });
  const oldPing = sends(first).find((x) => x.kind === "ping" && x.from === 0);
  assert.ok(oldPing && oldPing.kind === "ping");
  const second = r.step({ kind: "tick", nowMs: 400 });
  assert.equal(r.status().pauseEpoch, 1);
  const newPing = sends(second).find((x) => x.kind === "ping");
  assert.ok(newPing && newPing.kind === "ping");
  const pong = (nonce: string, pauseEpoch: number): Message => ({
    ...header(1, 5),
    status: "primary",
    kind: "pong",
    nonce,
    pauseEpoch,
    lastIndex: 9,
    lastEpoch: 5,
    latestView: bootstrapView([0, 1, 2]),
    vote: { epoch: 5, votedFor: 1 },
    primaryId: 1,
  });
  // The ping went to n1 first (peers in id order); its nonce is echoed with the old pauseEpoch.
  r.step({ kind: "message", nowMs: 401, msg: pong(oldPing.nonce, 0) });
  assert.equal(r.status().waitReason, "V* member n1 has not answered");
  r.step({ kind: "message", nowMs: 402, msg: pong(newPing.nonce, 1) });
  assert.equal(r.status().waitReason, "n1 is primary");
});

test("CE24: a voter holds general SILENT against its candidate only T_exclude after the vote", () => {
  const probe = replica(2, {}, 77);
  const session = probe.status().session;
  const b1: LogEntry = {
    index: 1,
    epoch: 1,
    ts: 0,
    kind: "barrier",
    members: [m(0, "s0"), m(1, "s1"), { nodeId: 2, storageId: "d2", session }],
  };
  const y = replica(2, { epoch: 1, entries: [b1], commitHint: 1 }, 77);
  assert.equal(y.status().session, session);
  let now = 0;
  const run = (ev: Parameters<Replica["step"]>[0]): Action[] => y.step(ev);
  run({ kind: "tick", nowMs: now });
  run({
    kind: "message",
    nowMs: ++now,
    msg: {
      ...header(0, 1, { epoch: 1, index: 1 }, "s0"),
      status: "primary",
      kind: "append",
      prevIndex: 1,
      prevEpoch: 1,
      entries: [],
      commit: 1,
      round: 1,
    },
  });
  assert.equal(y.status().role, "backup");
  run({
    kind: "message",
    nowMs: ++now,
    msg: {
      ...header(0, 1, { epoch: 1, index: 1 }, "s0"),
      status: "recovering",
      kind: "stepped-down",
      steppedEpoch: 1,
    },
  });
  const vote = run({
    kind: "message",
    nowMs: ++now,
    msg: {
      ...header(1, 2),
      kind: "vote-request",
      recovery: false,
      lastIndex: 1,
      lastEpoch: 1,
      nonce: "v",
    },
  });
  const hs = vote.find((a) => a.kind === "persist-hard-state");
  assert.ok(hs && hs.kind === "persist-hard-state" && hs.votedFor === 1);
  run({ kind: "persisted", nowMs: ++now, token: hs.token });
  const votedAt = now;
  let candidateAt: number | null = null;
  while (now < votedAt + 3000 && candidateAt === null) {
    now += 10;
    for (const a of run({ kind: "tick", nowMs: now })) {
      if (a.kind === "role" && a.role === "candidate") candidateAt = now;
    }
  }
  assert.ok(candidateAt !== null, "the voter eventually stands");
  assert.ok(candidateAt - votedAt >= 1000, `stood ${candidateAt - votedAt}ms after voting`);
});

test("R2: duplicated and reordered appends never truncate; matchIndex = prev + entries", () => {
  const y = replica(2, { epoch: 1, entries: [barrier1], commitHint: 1 });
  y.step({ kind: "tick", nowMs: 0 });
  const e = (index: number): LogEntry => ({
    index,
    epoch: 1,
    ts: index,
    kind: "cmd",
    requestId: `r${index}`,
  });
  const append = (prevIndex: number, entries: LogEntry[], nowMs: number): Action[] =>
    y.step({
      kind: "message",
      nowMs,
      msg: {
        ...header(0, 1, { epoch: 1, index: 1 }, "s0"),
        status: "primary",
        kind: "append",
        prevIndex,
        prevEpoch: 1,
        entries,
        commit: 1,
        round: 1,
      },
    });
  const flush = (actions: Action[], nowMs: number): Message[] => {
    const out = sends(actions);
    for (const a of actions) {
      if (a.kind.startsWith("persist"))
        out.push(
          ...sends(y.step({ kind: "persisted", nowMs, token: (a as { token: number }).token }))
        );
    }
    return out;
  };
  flush(append(1, [e(2), e(3), e(4)], 1), 1);
  assert.equal(y.status().lastIndex, 4);
  // A reordered, shorter copy arrives late: no truncation; the ack covers only its own range.
  const late = flush(append(1, [e(2)], 2), 2);
  assert.equal(y.status().lastIndex, 4);
  const ack = late.find((x) => x.kind === "append-reply");
  assert.ok(ack && ack.kind === "append-reply" && ack.success && ack.matchIndex === 2);
  assert.equal(
    flush(append(1, [e(2), e(3), e(4)], 3), 3).some((x) => x.kind === "append-reply"),
    true
  );
  assert.equal(y.status().lastIndex, 4);
});

/** Drives a one-member replica: every write completes at once, ticks every 10 ms. */
function soloDriver(durable: Partial<Durable>, startMs: number) {
  const r = new Replica(
    { nodeId: 0, members: [{ nodeId: 0 }], exclusion: "timed", random: () => 0.5 },
    { storageId: "d0", epoch: 0, votedFor: null, entries: [], commitHint: 0, ...durable }
  );
  const written: LogEntry[] = [];
  let now = startMs;
  const run = (ev: Parameters<Replica["step"]>[0]): void => {
    const queue = [ev];
    for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
      for (const a of r.step(e)) {
        if (a.kind === "persist-entries") written.push(...a.entries);
        if ("token" in a && typeof a.token === "number")
          queue.push({ kind: "persisted", nowMs: now, token: a.token });
      }
    }
  };
  const advance = (ms: number): void => {
    for (const end = now + ms; now < end; ) run({ kind: "tick", nowMs: (now += 10) });
  };
  const propose = (requestId: string): void =>
    run({ kind: "propose", nowMs: now, requestId, payload: requestId });
  run({ kind: "tick", nowMs: now });
  return { r, written, advance, propose };
}

// CE15: log time must continue from the log by monotonic elapsed time. A new primary whose own
// clock is far ahead (or behind) must not stamp that clock into its barrier and commands, or it
// would expire every session and dedup key at once (or make expiry differ between replicas).
test("CE15: log time continues from the log's last ts, whatever the host clock reads", () => {
  const lastTs = 5_000;
  const entries: LogEntry[] = [
    { index: 1, epoch: 1, ts: lastTs, kind: "barrier", members: [m(0, "old")] },
  ];
  for (const startMs of [1e12, 0]) {
    const d = soloDriver({ epoch: 1, entries, commitHint: 1 }, startMs);
    d.advance(200);
    assert.equal(d.r.status().role, "primary", `became primary (clock at ${startMs})`);
    d.propose("x");
    d.advance(30);
    assert.deepEqual(
      d.written.map((e) => e.kind),
      ["barrier", "cmd"]
    );
    for (const e of d.written) {
      assert.ok(e.ts >= lastTs, `ts ${e.ts} never goes below the log's ${lastTs}`);
      assert.ok(e.ts <= lastTs + 300, `ts ${e.ts} is the log's ${lastTs} + elapsed, not the clock`);
    }
    assert.ok(d.written[1]!.ts >= d.written[0]!.ts, "monotonic along the log");
  }
});

test("peer-lost probes: none while a recent probe's connect is pending, was refused, or was just accepted", () => {
  const r = replica(0, {});
  const probes = (out: Action[]): string[] =>
    out.flatMap((a) => (a.kind === "probe" && a.peer === 1 ? [a.nonce] : []));
  const first = probes(r.step({ kind: "tick", nowMs: 0 }));
  assert.equal(first.length, 1, "the heartbeat probes n1");
  const lost = (nowMs: number): string[] => probes(r.step({ kind: "peer-lost", nowMs, peer: 1 }));
  const { tickMs, roundTripMaxMs } = TIMING_DEFAULT;
  assert.deepEqual(lost(tickMs / 2), [], "its connect is pending: its outcome is on the way");
  r.step({ kind: "probe-result", nowMs: tickMs / 2 + 1, peer: 1, nonce: first[0]!, outcome: "connected" });
  assert.deepEqual(lost(tickMs - 2), [], "accepted within the last tick");
  const secondAt = tickMs + 5;
  const second = lost(secondAt);
  assert.equal(second.length, 1, "an accepted connect says nothing about now: probe");
  r.step({ kind: "probe-result", nowMs: secondAt + 1, peer: 1, nonce: second[0]!, outcome: "refused" });
  assert.deepEqual(lost(secondAt + roundTripMaxMs / 2), [], "refused less than D_max ago: DEAD is known");
  assert.deepEqual(lost(secondAt + roundTripMaxMs - tickMs), []);
  assert.equal(lost(secondAt + roundTripMaxMs + 5).length, 1, "D_max after the refused probe: probe again");
});

test("peer-lost from a closed liveness connection probes even right after an accepted connect", () => {
  const r = replica(0, {});
  const probes = (out: Action[]): string[] =>
    out.flatMap((a) => (a.kind === "probe" && a.peer === 1 ? [a.nonce] : []));
  const first = probes(r.step({ kind: "tick", nowMs: 0 }));
  r.step({ kind: "probe-result", nowMs: 1, peer: 1, nonce: first[0]!, outcome: "connected" });
  assert.deepEqual(probes(r.step({ kind: "peer-lost", nowMs: 2, peer: 1 })), [], "a stream break is covered");
  const closed = probes(r.step({ kind: "peer-lost", nowMs: 3, peer: 1, livenessClosed: true }));
  assert.equal(closed.length, 1, "the connection that was accepted is the one that closed: probe now");
});
