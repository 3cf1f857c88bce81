// Subscribe streams against a fake pipeline: a commit wakes only its sender's and recipient's
// streams, every stream still gets heartbeats, and a role change or an ended session ends
// the streams it should. Wakes are counted as reads of `pipeline.state` (each pump reads it
// once per batch it looks for).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { applyCommand, createState, type Command, type Message } from "@chat-tui/chat-state";
import type { Event } from "@chat-tui/proto";
import { NotServingError } from "./errors.js";
import { Listeners, type Pipeline } from "./pipeline.js";
import { Subscriptions } from "./subscriptions.js";

class FakeStream extends EventEmitter {
  readonly written: Event[] = [];
  readonly errors: Partial<grpc.StatusObject>[] = [];
  constructor(private readonly peer: string) {
    super();
    this.on("error", (status: Partial<grpc.StatusObject>) => this.errors.push(status));
  }
  getPeer(): string {
    return this.peer;
  }
  write(event: Event): boolean {
    this.written.push(event);
    return true;
  }
  messages(): number {
    return this.written.filter((e) => e.event.case === "message").length;
  }
}

class FakePipeline {
  readonly listeners = new Listeners();
  readonly chat = createState();
  stateReads = 0;
  notServingNow: NotServingError | undefined;
  private index = 0;

  get state(): Pipeline["state"] {
    this.stateReads++;
    return this.chat;
  }
  notServing(): NotServingError | undefined {
    return this.notServingNow;
  }
  logTimeNow(): number {
    return 1_000 + this.index;
  }
  epoch(): number {
    return 1;
  }
  commitIndex(): number {
    return this.index;
  }
  on: Pipeline["on"] = (event, listener) => this.listeners.on(event, listener);

  apply(command: Command): unknown {
    this.index++;
    const outcome = applyCommand(this.chat, command, { index: this.index, ts: this.logTimeNow() });
    assert.ok(outcome.ok, `${command.kind}: ${outcome.ok ? "" : outcome.error.message}`);
    return outcome.value;
  }
}

function setUp(users: readonly string[], streamsPerUser: number) {
  const pipeline = new FakePipeline();
  const subs = new Subscriptions(pipeline as unknown as Pipeline);
  const streams = new Map<string, FakeStream[]>();
  for (const username of users) {
    const tokenHash = `token:${username}`;
    pipeline.apply({ kind: "register", requestId: `r-${username}`, username, passwordHash: "h",
      tokenHash });
    const mine: FakeStream[] = [];
    for (let k = 0; k < streamsPerUser; k++) {
      const stream = new FakeStream(`127.0.0.1:${1000 + streams.size * 10 + k}`);
      subs.open(stream as never, username, tokenHash, 0);
      mine.push(stream);
    }
    streams.set(username, mine);
  }
  return { pipeline, subs, streams };
}

function send(pipeline: FakePipeline, from: string, to: string, n: number): Message {
  const value = pipeline.apply({
    kind: "send", requestId: `s-${n}`, tokenHash: `token:${from}`, to, text: `hi ${n}`,
    clientMsgId: `c-${n}`, messageId: `m-${n}`, sentAtMs: 1_700_000_000_000 + n,
  });
  return (value as { message: Message }).message;
}

test("a commit wakes only the streams of its sender and recipient", () => {
  const users = ["ann", "bob", "cat", "dan", "eve"];
  const { pipeline, subs, streams } = setUp(users, 2);
  try {
    pipeline.stateReads = 0;
    pipeline.listeners.emit("applied", [send(pipeline, "ann", "bob", 1)], false);
    // ann's and bob's 2 streams each: one read finds the message, one finds nothing more.
    assert.equal(pipeline.stateReads, 4 * 2, "no other user's stream is woken");
    for (const user of users) {
      const expected = user === "ann" || user === "bob" ? 1 : 0;
      for (const stream of streams.get(user)!) assert.equal(stream.messages(), expected, user);
    }
    pipeline.stateReads = 0;
    pipeline.listeners.emit("applied", [send(pipeline, "cat", "ann", 2)], false);
    assert.equal(pipeline.stateReads, 4 * 2, "cat's and ann's streams, no one else's");
    assert.equal(streams.get("bob")![0]!.messages(), 1);
    pipeline.stateReads = 0;
    pipeline.listeners.emit("applied", [], false);
    assert.equal(pipeline.stateReads, 0, "an entry without messages wakes nobody");
  } finally {
    subs.close();
  }
});

test("an ended session ends only its streams; a role change ends them all", () => {
  const { pipeline, subs, streams } = setUp(["ann", "bob"], 1);
  try {
    pipeline.apply({ kind: "logout", requestId: "out", tokenHash: "token:bob" });
    pipeline.listeners.emit("applied", [], true);
    const [ann] = streams.get("ann")!;
    const [bob] = streams.get("bob")!;
    assert.deepEqual(bob!.errors.map((e) => e.code), [grpc.status.UNAUTHENTICATED]);
    assert.equal(ann!.errors.length, 0);
    assert.equal(subs.isOnline("bob"), false);
    assert.equal(subs.isOnline("ann"), true);
    pipeline.notServingNow = new NotServingError("this node is a backup", "127.0.0.1:7001");
    pipeline.listeners.emit("servingChanged", false);
    assert.deepEqual(ann!.errors.map((e) => e.code), [grpc.status.UNAVAILABLE]);
    assert.equal(subs.isOnline("ann"), false);
  } finally {
    subs.close();
  }
});

test("every open stream gets heartbeats", async () => {
  const { subs, streams } = setUp(["ann", "bob", "cat"], 2);
  try {
    const all = [...streams.values()].flat();
    const beats = (s: FakeStream): number =>
      s.written.filter((e) => e.event.case === "heartbeat").length;
    const deadline = Date.now() + 5_000;
    while (!all.every((s) => beats(s) > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(all.every((s) => beats(s) > 0), "each stream had a heartbeat");
  } finally {
    subs.close();
  }
});
