// InboundSnapshot: frames of one inbound stream onto sinks — a BEGIN replaces an unfinished
// transfer, frames of another transfer number are ignored, ABORT and a closed stream drop
// the open transfer, a refused BEGIN swallows its frames, and END hands the file on once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ReplicaEnvelopeSchema, SnapshotFrame } from "@chat-tui/proto";
import { quietLogger } from "../logger.js";
import { InboundSnapshot, snapshotBeginBytesMax, type SnapshotSink } from "./snapshot-transfer.js";

function harness() {
  const events: string[] = [];
  let refuse = false;
  const inbound = new InboundSnapshot(async (_from, header) => {
    const name = Buffer.from(header).toString();
    if (refuse) return undefined;
    events.push(`begin ${name}`);
    const sink: SnapshotSink = {
      write: async (chunk) => {
        const text = Buffer.from(chunk).toString();
        events.push(`${name} ${text}`);
        return text === "bad" ? "damaged" : undefined;
      },
      end: async () => void events.push(`end ${name}`),
      abort: async (reason) => void events.push(`abort ${name}: ${reason}`),
    };
    return sink;
  }, quietLogger());
  const frame = (snapshotFrame: SnapshotFrame, transfer: number, text = "") =>
    inbound.onFrame(create(ReplicaEnvelopeSchema, { from: 1, to: 0, snapshotFrame, transfer,
      payload: Buffer.from(text) }));
  return { events, inbound, frame, refuse: (on: boolean) => void (refuse = on) };
}

test("frames of one transfer reach its sink in order; END hands it on once", async () => {
  const { events, frame, inbound } = harness();
  await frame(SnapshotFrame.BEGIN, 1, "a");
  await frame(SnapshotFrame.CHUNK, 1, "x");
  await frame(SnapshotFrame.CHUNK, 1, "y");
  await frame(SnapshotFrame.END, 1);
  await frame(SnapshotFrame.CHUNK, 1, "late");
  await frame(SnapshotFrame.END, 1);
  await inbound.close("the stream ended");
  assert.deepEqual(events, ["begin a", "a x", "a y", "end a"]);
});

test("a newer BEGIN replaces an unfinished transfer; stale frames are ignored", async () => {
  const { events, frame } = harness();
  await frame(SnapshotFrame.BEGIN, 1, "a");
  await frame(SnapshotFrame.CHUNK, 1, "x");
  await frame(SnapshotFrame.BEGIN, 2, "b");
  await frame(SnapshotFrame.CHUNK, 1, "stale");
  await frame(SnapshotFrame.CHUNK, 2, "z");
  await frame(SnapshotFrame.END, 1);
  await frame(SnapshotFrame.END, 2);
  assert.deepEqual(events,
    ["begin a", "a x", "abort a: replaced by a newer transfer", "begin b", "b z", "end b"]);
});

test("ABORT, a closed stream, a refused write or BEGIN: the transfer is dropped", async () => {
  const { events, frame, inbound, refuse } = harness();
  await frame(SnapshotFrame.BEGIN, 1, "a");
  await frame(SnapshotFrame.ABORT, 1);
  await frame(SnapshotFrame.BEGIN, 2, "b");
  await frame(SnapshotFrame.CHUNK, 2, "bad");
  await frame(SnapshotFrame.END, 2);
  await frame(SnapshotFrame.BEGIN, 3, "c");
  await inbound.close("the stream broke mid-transfer");
  refuse(true);
  await frame(SnapshotFrame.BEGIN, 4, "d");
  await frame(SnapshotFrame.CHUNK, 4, "x");
  await frame(SnapshotFrame.END, 4);
  await frame(SnapshotFrame.BEGIN, 5, "x".repeat(snapshotBeginBytesMax + 1));
  assert.deepEqual(events, ["begin a", "abort a: the sender gave up", "begin b", "b bad", "begin c",
    "abort c: the stream broke mid-transfer"]);
});
