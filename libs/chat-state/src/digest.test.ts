import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalJson, Fnv64, stateDigest } from "./digest.js";
import { createState } from "./state.js";
import { World } from "./testing/world.js";

function referenceFnv1a64(bytes: readonly number[]): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, "0");
}

describe("Fnv64", () => {
  it("matches the published FNV-1a 64 test vectors", () => {
    const ofAscii = (text: string) => {
      const hash = new Fnv64();
      for (const char of text) hash.byte(char.charCodeAt(0));
      return hash.hex();
    };
    assert.equal(ofAscii(""), "cbf29ce484222325");
    assert.equal(ofAscii("a"), "af63dc4c8601ec8c");
    assert.equal(ofAscii("foobar"), "85944171f73967e8");
  });
  it("matches a BigInt reference on random bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }), (bytes) => {
        const hash = new Fnv64();
        for (const byte of bytes) hash.byte(byte);
        assert.equal(hash.hex(), referenceFnv1a64(bytes));
      }),
      { numRuns: 300 }
    );
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined fields", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } }),
      '{"a":{"d":[2,{"y":2,"z":1}]},"b":1}'
    );
  });
});

describe("stateDigest", () => {
  it("is stable for equal states and changes with any change", () => {
    const build = () => {
      const w = new World();
      const alice = w.register("alice");
      w.register("bob");
      w.send(alice, "bob", "hi");
      return w;
    };
    const a = build();
    const b = build();
    assert.equal(stateDigest(a.state), stateDigest(b.state));
    assert.notEqual(stateDigest(a.state), stateDigest(createState()));
    b.markRead("token-3", "alice", 1);
    assert.notEqual(stateDigest(a.state), stateDigest(b.state));
  });
});
