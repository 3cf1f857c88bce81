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
