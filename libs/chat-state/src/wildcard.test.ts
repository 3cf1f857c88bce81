import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { literalPrefix, matchesPattern } from "./wildcard.js";

const users = ["test1", "test2", "test3", "test4", "foo"];
const matching = (pattern: string) => users.filter((u) => matchesPattern(pattern, u));

describe("matchesPattern", () => {
  it("passes the required cases", () => {
    assert.deepEqual(matching("t*"), ["test1", "test2", "test3", "test4"]);
    assert.deepEqual(matching("*"), users);
    assert.deepEqual(matching(""), users);
    assert.deepEqual(matching("test3"), ["test3"]);
    assert.deepEqual(matching("*st1"), ["test1"]);
    assert.deepEqual(matching("nobody*"), []);
  });
  it("matches the whole string, not a substring", () => {
    assert.equal(matchesPattern("test", "test1"), false);
    assert.equal(matchesPattern("est1", "test1"), false);
    assert.equal(matchesPattern("*est*", "test1"), true);
  });
  it("is case-insensitive", () => {
    assert.equal(matchesPattern("TEST*", "test1"), true);
    assert.equal(matchesPattern("t*", "Test1"), true);
  });
  it("lets a star match nothing, and several stars in a row", () => {
    assert.equal(matchesPattern("test*1", "test1"), true);
    assert.equal(matchesPattern("**t**1**", "test1"), true);
    assert.equal(matchesPattern("t*t*t", "ttt"), true);
    assert.equal(matchesPattern("t*t*t*t", "ttt"), false);
  });
  it("backtracks to the last star", () => {
    assert.equal(matchesPattern("*ab", "aab"), true);
    assert.equal(matchesPattern("a*b*c", "axbxbxc"), true);
    assert.equal(matchesPattern("a*b*c", "axbxbx"), false);
  });
  it("treats regex metacharacters literally", () => {
    assert.equal(matchesPattern("a.c", "abc"), false);
    assert.equal(matchesPattern("a.c", "a.c"), true);
    assert.equal(matchesPattern("a?c", "abc"), false);
    assert.equal(matchesPattern("(a|b)", "a"), false);
  });
  it("agrees with a reference regex on random inputs", () => {
    const alphabet = fc.constantFrom("a", "b", ".", "*");
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom("a", "b", "."), maxLength: 10 }),
        (pattern, name) => {
          const source = pattern
            .split("*")
            .map((part) => part.replace(/\./g, "\\."))
            .join(".*");
          const expected = pattern === "" || new RegExp(`^${source}$`).test(name);
          assert.equal(matchesPattern(pattern, name), expected);
        }
      ),
      { numRuns: 500 }
    );
  });
});

describe("literalPrefix", () => {
  it("is the lower-cased text before the first star", () => {
    assert.equal(literalPrefix("Te*st"), "te");
    assert.equal(literalPrefix("*x"), "");
    assert.equal(literalPrefix("exact"), "exact");
    assert.equal(literalPrefix(""), "");
  });
});
