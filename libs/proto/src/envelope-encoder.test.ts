// The hand-written ReplicaEnvelope encoder writes exactly protobuf-es's bytes, for any field
// values (defaults omitted, multi-byte varints, empty and large payloads).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ReplicaEnvelopeSchema, SnapshotFrame } from "./gen/chat/v1/replica_pb.js";
import { encodeReplicaEnvelope } from "./envelope-encoder.js";

const frames = Object.values(SnapshotFrame).filter((v): v is SnapshotFrame => typeof v === "number");
const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 300 }));
const envelope = fc.record({
  from: uint32,
  to: uint32,
  payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constant(new Uint8Array(70_000).fill(7))),
  more: fc.boolean(),
  snapshotFrame: fc.constantFrom(...frames),
  transfer: uint32,
}).map((fields) => create(ReplicaEnvelopeSchema, fields));

test("encodeReplicaEnvelope gives toBinary's bytes, and they decode to the same envelope", () => {
  fc.assert(fc.property(envelope, (msg) => {
    const ours = new Uint8Array(encodeReplicaEnvelope(msg)); // a Buffer's subarrays are Buffers
    assert.deepEqual(ours, toBinary(ReplicaEnvelopeSchema, msg));
    assert.deepEqual(fromBinary(ReplicaEnvelopeSchema, ours), msg);
  }), { numRuns: 500 });
});

test("unknown fields and invalid values go through protobuf-es (kept, or refused)", () => {
  const withUnknown = create(ReplicaEnvelopeSchema, { from: 1 });
  withUnknown.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([5]) }];
  assert.deepEqual(new Uint8Array(encodeReplicaEnvelope(withUnknown)), toBinary(ReplicaEnvelopeSchema, withUnknown));
  for (const from of [-1, 1.5, 2 ** 32]) {
    const msg = create(ReplicaEnvelopeSchema, { to: 2 });
    msg.from = from;
    assert.throws(() => encodeReplicaEnvelope(msg), `from ${from}`);
  }
});

test("an all-default envelope encodes to no bytes", () => {
  assert.equal(encodeReplicaEnvelope(create(ReplicaEnvelopeSchema)).length, 0);
});
