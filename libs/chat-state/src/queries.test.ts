import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyCommand } from "./apply.js";
import {
  authenticate,
  eventsAfter,
  findAccount,
  history,
  lastSeq,
  listUsers,
  type ListUsersPage,
} from "./queries.js";
import { isChatError } from "./errors.js";
import { restoreSnapshot } from "./snapshot.js";
import { createState } from "./state.js";
import { World } from "./testing/world.js";
import type { Message } from "./types.js";

function page(result: ListUsersPage | unknown): ListUsersPage {
  assert.ok(!isChatError(result), JSON.stringify(result));
  return result as ListUsersPage;
}

const names = (result: unknown) => page(result).users.map((u) => u.username);
const seqs = (result: unknown) => (result as Message[]).map((m) => m.seq);

describe("listUsers", () => {
  const w = new World();
  for (const name of ["test3", "foo", "test1", "Test4", "test2"]) w.register(name);
  const online = new Set(["test2", "foo"]);
  const isOnline = (name: string) => online.has(name);

  it("matches the wildcard cases, sorted by name", () => {
    assert.deepEqual(names(listUsers(w.state, { pattern: "t*" }, isOnline)), [
      "test1",
      "test2",
      "test3",
      "test4",
    ]);
    const all = ["foo", "test1", "test2", "test3", "test4"];
    assert.deepEqual(names(listUsers(w.state, { pattern: "*" }, isOnline)), all);
    assert.deepEqual(names(listUsers(w.state, { pattern: "" }, isOnline)), all);
    assert.deepEqual(names(listUsers(w.state, {}, isOnline)), all);
    assert.deepEqual(names(listUsers(w.state, { pattern: "test3" }, isOnline)), ["test3"]);
    assert.deepEqual(names(listUsers(w.state, { pattern: "*st1" }, isOnline)), ["test1"]);
    assert.deepEqual(names(listUsers(w.state, { pattern: "TEST*" }, isOnline)), [
      "test1",
      "test2",
      "test3",
      "test4",
    ]);
    assert.deepEqual(listUsers(w.state, { pattern: "zz*" }, isOnline), {
      users: [],
      nextPageToken: "",
    });
  });
  it("reports who is online through the callback", () => {
    assert.deepEqual(page(listUsers(w.state, { pattern: "*o*" }, isOnline)).users, [
      { username: "foo", online: true },
    ]);
    assert.deepEqual(page(listUsers(w.state, { pattern: "test[12]" }, isOnline)).users, []);
    assert.deepEqual(page(listUsers(w.state, { pattern: "test2" }, isOnline)).users, [
      { username: "test2", online: true },
    ]);
  });
  it("pages with an opaque token until it is empty", () => {
    const first = page(listUsers(w.state, { limit: 2 }, isOnline));
    assert.deepEqual(
      first.users.map((u) => u.username),
      ["foo", "test1"]
    );
    assert.equal(first.nextPageToken, "test1");
    const second = page(listUsers(w.state, { limit: 2, pageToken: first.nextPageToken }, isOnline));
    assert.deepEqual(
      second.users.map((u) => u.username),
      ["test2", "test3"]
    );
    const third = page(listUsers(w.state, { limit: 2, pageToken: second.nextPageToken }, isOnline));
    assert.deepEqual(third, { users: [{ username: "test4", online: false }], nextPageToken: "" });
  });
  it("gives no token when the page ends exactly at the last match", () => {
    const exact = page(listUsers(w.state, { pattern: "t*", limit: 4 }, isOnline));
    assert.equal(exact.users.length, 4);
    assert.equal(exact.nextPageToken, "");
    const filtered = page(listUsers(w.state, { pattern: "*1", limit: 1 }, isOnline));
    assert.deepEqual(filtered, {
      users: [{ username: "test1", online: false }],
      nextPageToken: "",
    });
  });
  it("validates pattern, limit and token", () => {
    assert.deepEqual(listUsers(w.state, { pattern: "x".repeat(65) }, isOnline), {
      kind: "invalid-argument",
      message: "pattern must be at most 64 characters",
    });
    assert.deepEqual(listUsers(w.state, { limit: -3 }, isOnline), {
      kind: "invalid-argument",
      message: "limit must be a non-negative integer",
    });
    assert.deepEqual(listUsers(w.state, { pageToken: "not a name!" }, isOnline), {
      kind: "invalid-argument",
      message: "invalid page token",
    });
  });
  it("uses the default page of 100 and clamps to 1000", () => {
    const big = new World();
    for (let i = 0; i < 1_005; i++) big.register(`u${String(i).padStart(4, "0")}`);
    assert.equal(page(listUsers(big.state, {}, () => false)).users.length, 100);
    const clamped = page(listUsers(big.state, { limit: 5_000 }, () => false));
    assert.equal(clamped.users.length, 1_000);
    assert.equal(clamped.nextPageToken, "u0999");
  });
});

describe("history", () => {
  const w = new World();
  const alice = w.register("alice");
  const bob = w.register("bob");
  const carol = w.register("carol");
  const ab: number[] = [];
  for (let i = 0; i < 12; i++) {
    ab.push(w.send(i % 2 === 0 ? alice : bob, i % 2 === 0 ? "bob" : "alice", `ab${i}`));
    w.send(carol, "alice", `noise${i}`);
  }

  it("returns the newest messages, oldest first", () => {
    assert.deepEqual(seqs(history(w.state, "alice", { peer: "bob", limit: 3 })), ab.slice(-3));
    assert.deepEqual(seqs(history(w.state, "bob", { peer: "ALICE" })), ab); // default 50
  });
  it("pages backwards with beforeSeq", () => {
    const newest = seqs(history(w.state, "alice", { peer: "bob", limit: 5 }));
    const older = seqs(
      history(w.state, "alice", { peer: "bob", limit: 5, beforeSeq: newest[0] as number })
    );
    assert.deepEqual(older, ab.slice(2, 7));
    const oldest = seqs(
      history(w.state, "alice", { peer: "bob", limit: 5, beforeSeq: older[0] as number })
    );
    assert.deepEqual(oldest, ab.slice(0, 2));
    assert.deepEqual(history(w.state, "alice", { peer: "bob", beforeSeq: ab[0] as number }), []);
  });
  it("accepts a beforeSeq that is not in the conversation", () => {
    const noise = (ab[5] as number) + 1; // a carol→alice seq
    assert.deepEqual(
      seqs(history(w.state, "alice", { peer: "bob", beforeSeq: noise, limit: 2 })),
      ab.slice(4, 6)
    );
  });
  it("answers not-found for an unknown peer, and checks arguments", () => {
    assert.deepEqual(history(w.state, "alice", { peer: "dave" }), {
      kind: "not-found",
      message: 'unknown user "dave"',
    });
    assert.deepEqual(history(w.state, "alice", { peer: "alice" }), {
      kind: "failed-precondition",
      message: "you have no conversation with yourself",
    });
    assert.deepEqual(history(w.state, "alice", { peer: "bob", beforeSeq: -1 }), {
      kind: "invalid-argument",
      message: "before_seq must be a non-negative integer",
    });
    assert.equal(
      (history(w.state, "alice", { peer: "bob", limit: 10_000 }) as Message[]).length,
      12
    );
  });
});

describe("eventsAfter", () => {
  it("returns the user's messages after the cursor, in seq order, at most max", () => {
    const w = new World();
    const alice = w.register("alice");
    const bob = w.register("bob");
    const carol = w.register("carol");
    const mine: number[] = [];
    for (let i = 0; i < 30; i++) {
      const seq = w.send(
        [alice, bob, carol][i % 3] as string,
        ["bob", "carol", "alice"][i % 3] as string,
        `m${i}`
      );
      if (i % 3 !== 1) mine.push(seq); // bob→carol is not alice's
    }
    assert.deepEqual(seqs(eventsAfter(w.state, "alice", 0, 1_000)), mine);
    assert.deepEqual(seqs(eventsAfter(w.state, "alice", 0, 3)), mine.slice(0, 3));
    // seq 2 is bob→carol, not alice's
    assert.deepEqual(seqs(eventsAfter(w.state, "alice", 2, 3)), mine.slice(1, 4));
    assert.deepEqual(seqs(eventsAfter(w.state, "alice", mine.at(-1) as number, 10)), []);
    assert.deepEqual(eventsAfter(w.state, "alice", 0, 0), {
      kind: "invalid-argument",
      message: "max must be a positive integer",
    });
    assert.deepEqual(eventsAfter(w.state, "nobody", 0, 5), {
      kind: "not-found",
      message: 'unknown user "nobody"',
    });
  });
  it("stays fast with a million messages (state built by restoreSnapshot)", () => {
    const users = 10;
    const total = 1_000_000;
    const accounts = Array.from({ length: users }, (_, i) => ({
      id: i + 1,
      username: `user${i}`,
      passwordHash: "h",
      firstSeq: 1,
      createdTs: 0,
    }));
    const messages: Message[] = [];
    const unread = new Map<string, number>();
    for (let i = 0; i < total; i++) {
      const from = i % users;
      const to = (from + 1 + (i % (users - 1))) % users;
      messages.push({
        seq: i + 1,
        id: `m${i}`,
        from: `user${from}`,
        to: `user${to}`,
        text: "x",
        sentAtMs: 0,
        clientMsgId: `c${i}`,
      });
      unread.set(`${to + 1}/${from + 1}`, (unread.get(`${to + 1}/${from + 1}`) ?? 0) + 1);
    }
    const readMarks = [];
    for (let a = 1; a <= users; a++) {
      for (let b = 1; b <= users; b++) {
        if (a !== b)
          readMarks.push({
            accountId: a,
            peerId: b,
            readUpToSeq: 0,
            unread: unread.get(`${a}/${b}`) ?? 0,
          });
      }
    }
    const header = {
      format: 1,
      appliedIndex: 1,
      lastTs: 1,
      nextAccountId: users + 1,
      messageCount: total,
      accounts,
      sessions: [],
      requests: [],
      sendKeys: [],
      readMarks,
    } as const;
    const state = restoreSnapshot(header, messages);
    assert.equal(lastSeq(state), total);
    const started = performance.now();
    for (let q = 0; q < 1_000; q++) {
      const user = q % users;
      const after = (q * 997) % total;
      const events = eventsAfter(state, `user${user}`, after, 50) as Message[];
      assert.equal(events.length, 50);
      assert.ok((events[0] as Message).seq > after && (events[0] as Message).seq <= after + users);
      assert.ok(events.every((m) => m.from === `user${user}` || m.to === `user${user}`));
    }
    const queryMs = performance.now() - started;
    assert.ok(queryMs < 1_000, `1000 eventsAfter calls took ${queryMs} ms`);
    assert.equal(
      (history(state, "user0", { peer: "user1", beforeSeq: 500_000, limit: 500 }) as Message[])
        .length,
      500
    );
  });
  it("applies 50k sends in well under a second per 10k", () => {
    const state = createState();
    for (let i = 0; i < 4; i++) {
      applyCommand(
        state,
        {
          kind: "register",
          requestId: `r${i}`,
          username: `u${i}`,
          passwordHash: "h",
          tokenHash: `t${i}`,
        },
        { index: i + 1, ts: i + 1 }
      );
    }
    const started = performance.now();
    for (let i = 0; i < 50_000; i++) {
      const command = {
        kind: "send",
        requestId: `s${i}`,
        tokenHash: `t${i % 4}`,
        to: `u${(i + 1) % 4}`,
        text: "hello",
        clientMsgId: `c${i}`,
        messageId: `m${i}`,
        sentAtMs: 0,
      } as const;
      assert.equal(applyCommand(state, command, { index: 10 + i, ts: 10 + i * 50 }).ok, true);
    }
    const ms = performance.now() - started;
    assert.equal(lastSeq(state), 50_000);
    assert.ok(ms < 5_000, `50k sends took ${ms} ms`);
  });
});

describe("authenticate and findAccount", () => {
  it("knows live sessions only", () => {
    const w = new World();
    const alice = w.register("alice");
    assert.deepEqual(authenticate(w.state, alice, w.ts), { username: "alice" });
    assert.deepEqual(authenticate(w.state, "forged", w.ts), {
      kind: "unauthenticated",
      message: "session expired or logged out",
    });
    assert.equal(findAccount(w.state, "not valid!"), undefined);
    assert.equal(findAccount(w.state, "bob"), undefined);
  });
});
