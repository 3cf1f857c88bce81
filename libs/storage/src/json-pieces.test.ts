import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonPieces } from "./json-pieces.js";

test("the pieces concatenate to JSON.stringify, big arrays included", () => {
  const big = { a: 1, list: Array.from({ length: 4_321 }, (_, i) => ({ id: i, s: `x${i}`, u: undefined })), z: [1, [2]] };
  assert.equal([...jsonPieces(big)].join(""), JSON.stringify(big));
  assert.ok([...jsonPieces(big)].length > 3, "a big array is cut into pieces");
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    assert.equal([...jsonPieces(value)].join(""), JSON.stringify(value));
  }));
});

test("an array of a few huge elements is cut between them, not stringified in one piece", () => {
  const chunks = Array.from({ length: 3 }, (_, i) => ({ rows: Array.from({ length: 100_000 }, (_, j) => [i, j, "row"]) }));
  const pieces = [...jsonPieces({ records: chunks })];
  assert.equal(pieces.join(""), JSON.stringify({ records: chunks }));
  const largest = Math.max(...pieces.map((p) => p.length));
  assert.ok(largest < JSON.stringify(chunks).length / 2, `largest piece ${largest} chars`);
});

test("values that are not plain data come out as JSON.stringify writes them", () => {
  const gone = { toJSON: () => undefined };
  const value = {
    boxed: [new String("x"), new Number(1), new Boolean(false)],
    date: new Date(0),
    gone,
    fn: () => 1,
    list: [gone, undefined, () => 1],
    nested: { s: new String("y"), n: null },
    bare: Object.assign(Object.create(null) as object, { k: 1 }),
  };
  for (const elementsPerPiece of [1, 2, 2_000]) {
    assert.equal([...jsonPieces(value, elementsPerPiece)].join(""), JSON.stringify(value));
  }
  assert.throws(() => [...jsonPieces(gone)], /not JSON/);
  assert.throws(() => [...jsonPieces(undefined)], /not JSON/);
});
