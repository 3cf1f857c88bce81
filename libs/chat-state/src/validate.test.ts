import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  normalizeUsername,
  pageLimit,
  validateClientMsgId,
  validateHash,
  validateMessageId,
  validatePassword,
  validatePattern,
  validateRequestId,
  validateSeq,
  validateText,
} from "./validate.js";

const usernameError = {
  kind: "invalid-argument",
  message: "username must be 1-32 characters of a-z 0-9 _ . -",
};

describe("normalizeUsername", () => {
  it("lower-cases a valid name", () => {
    assert.equal(normalizeUsername("Alice"), "alice");
    assert.equal(normalizeUsername("a.b-c_9"), "a.b-c_9");
    assert.equal(normalizeUsername("x"), "x");
    assert.equal(normalizeUsername("a".repeat(32)), "a".repeat(32));
  });
  it("rejects empty, too long and foreign characters", () => {
    for (const bad of ["", "a".repeat(33), "al ice", "al@ce", "ünï", "bob\n", "a/b", "\ufffd"]) {
      assert.deepEqual(normalizeUsername(bad), usernameError, bad);
    }
  });
  it("rejects non-ASCII letters that lower-case to ASCII (Kelvin sign)", () => {
    assert.deepEqual(normalizeUsername("\u212Aate"), usernameError);
  });
  it("rejects a non-string", () => {
    assert.deepEqual(normalizeUsername(7 as unknown as string), usernameError);
  });
});

describe("validatePassword", () => {
  const length = { kind: "invalid-argument", message: "password must be 8-256 characters" };
  it("accepts 8 to 256 code points", () => {
    assert.equal(validatePassword("12345678"), undefined);
    assert.equal(validatePassword("p".repeat(256)), undefined);
    assert.equal(validatePassword("😀".repeat(8)), undefined); // 16 UTF-16 units, 8 points
  });
  it("counts code points, not UTF-16 units", () => {
    assert.deepEqual(validatePassword("😀".repeat(7)), length); // 14 units but 7 points
    assert.equal(validatePassword("😀".repeat(256)), undefined); // 512 units
    assert.deepEqual(validatePassword("😀".repeat(257)), length);
  });
  it("rejects too short and too long", () => {
    assert.deepEqual(validatePassword("1234567"), length);
    assert.deepEqual(validatePassword("p".repeat(257)), length);
  });
  it("rejects invalid UTF-8 and control characters", () => {
    const utf8 = { kind: "invalid-argument", message: "password is not valid UTF-8" };
    assert.deepEqual(validatePassword("abcdefg\ufffd"), utf8);
    assert.deepEqual(validatePassword("abcdefg\ud800"), utf8);
    const control = {
      kind: "invalid-argument",
      message: "password must not contain control characters",
    };
    assert.deepEqual(validatePassword("abcdefg\u0000"), control);
    assert.deepEqual(validatePassword("abcdefg\t"), control);
  });
});

describe("validateText", () => {
  const length = { kind: "invalid-argument", message: "text must be 1-4096 characters" };
  it("accepts 1 to 4096 code points, newlines and tabs", () => {
    assert.equal(validateText("h"), undefined);
    assert.equal(validateText("line one\n\tline two"), undefined);
    assert.equal(validateText("x".repeat(4096)), undefined);
    assert.equal(validateText("é".repeat(4096)), undefined);
    assert.equal(validateText("😀".repeat(4096)), undefined);
  });
  it("rejects empty and too long", () => {
    assert.deepEqual(validateText(""), length);
    assert.deepEqual(validateText("x".repeat(4097)), length);
    assert.deepEqual(validateText("😀".repeat(4097)), length);
  });
  it("rejects U+FFFD and lone surrogates", () => {
    const utf8 = { kind: "invalid-argument", message: "text is not valid UTF-8" };
    assert.deepEqual(validateText("bad \ufffd byte"), utf8);
    assert.deepEqual(validateText("half \udc00"), utf8);
  });
  it("rejects control characters other than \\n and \\t", () => {
    const control = {
      kind: "invalid-argument",
      message: "text must not contain control characters other than newline and tab",
    };
    for (const c of ["\u0000", "\u0007", "\r", "\u001b[31m", "\u007f", "\u0085", "\u009f"]) {
      assert.deepEqual(validateText(`a${c}b`), control, JSON.stringify(c));
    }
  });
});

describe("validatePattern", () => {
  it("accepts up to 64 characters, including empty and stars", () => {
    for (const ok of ["", "*", "t*", "*st1", "a".repeat(64), "odd?chars!"]) {
      assert.equal(validatePattern(ok), undefined, ok);
    }
  });
  it("rejects too long, invalid UTF-8 and control characters", () => {
    assert.deepEqual(validatePattern("a".repeat(65)), {
      kind: "invalid-argument",
      message: "pattern must be at most 64 characters",
    });
    assert.deepEqual(validatePattern("a\ufffd"), {
      kind: "invalid-argument",
      message: "pattern is not valid UTF-8",
    });
    assert.deepEqual(validatePattern("a\nb"), {
      kind: "invalid-argument",
      message: "pattern must not contain control characters",
    });
  });
});

describe("identifiers", () => {
  it("client_msg_id: 1-64 printable ASCII", () => {
    const error = {
      kind: "invalid-argument",
      message: "client_msg_id must be 1-64 printable ASCII characters",
    };
    assert.equal(validateClientMsgId("0f8e-uuid like ~!"), undefined);
    assert.equal(validateClientMsgId("c".repeat(64)), undefined);
    for (const bad of ["", "c".repeat(65), "tab\there", "é"]) {
      assert.deepEqual(validateClientMsgId(bad), error, bad);
    }
  });
  it("chat-request-id: 1-64 printable ASCII", () => {
    const error = {
      kind: "invalid-argument",
      message: "chat-request-id must be 1-64 printable ASCII characters",
    };
    assert.equal(validateRequestId("3b241101-e2bb-4255-8caf-4136c566a962"), undefined);
    assert.deepEqual(validateRequestId(""), error);
    assert.deepEqual(validateRequestId("r".repeat(65)), error);
    assert.deepEqual(validateRequestId(undefined as unknown as string), error);
  });
  it("message id and hashes", () => {
    assert.equal(validateMessageId("m-1"), undefined);
    assert.deepEqual(validateMessageId(""), {
      kind: "invalid-argument",
      message: "message id must be 1-64 printable ASCII characters",
    });
    assert.equal(validateHash("token hash", "h".repeat(512)), undefined);
    assert.deepEqual(validateHash("token hash", "h".repeat(513)), {
      kind: "invalid-argument",
      message: "token hash must be 1-512 printable ASCII characters",
    });
  });
});

describe("numbers", () => {
  it("seq cursors are non-negative safe integers", () => {
    assert.equal(validateSeq("after_seq", 0), undefined);
    assert.equal(validateSeq("after_seq", 2 ** 53 - 1), undefined);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      assert.deepEqual(validateSeq("after_seq", bad), {
        kind: "invalid-argument",
        message: "after_seq must be a non-negative integer",
      });
    }
  });
  it("page limits: 0 is the default, above the max is clamped", () => {
    assert.equal(pageLimit(0, 100, 1000), 100);
    assert.equal(pageLimit(undefined, 100, 1000), 100);
    assert.equal(pageLimit(7, 100, 1000), 7);
    assert.equal(pageLimit(5000, 100, 1000), 1000);
    assert.deepEqual(pageLimit(-1, 100, 1000), {
      kind: "invalid-argument",
      message: "limit must be a non-negative integer",
    });
  });
});
