// Validators for untrusted input. The node calls them before proposing a command (early
// errors); `applyCommand` calls them again, and its answer is the authoritative one.
// Each returns a ChatError, or undefined / the normalised value when the input is fine.

import { chatError, type ChatError } from "./errors.js";
import {
  clientMsgIdLengthMax,
  hashLengthMax,
  messageIdLengthMax,
  passwordLengthMax,
  passwordLengthMin,
  patternLengthMax,
  requestIdLengthMax,
  textLengthMax,
  textLengthMin,
  usernameLengthMax,
  usernameLengthMin,
} from "./limits.js";

const usernameChars = /^[A-Za-z0-9_.-]*$/; // checked before lower-casing: ASCII only
const printableAscii = /^[\x20-\x7e]*$/;

/** Lower-cases and checks a username; returns the stored form or an error. */
export function normalizeUsername(input: string): string | ChatError {
  if (
    typeof input !== "string" ||
    input.length < usernameLengthMin ||
    input.length > usernameLengthMax ||
    !usernameChars.test(input)
  ) {
    return chatError(
      "invalid-argument",
      `username must be ${usernameLengthMin}-${usernameLengthMax} characters of a-z 0-9 _ . -`
    );
  }
  return input.toLowerCase();
}

interface TextScan {
  codePoints: number;
  replacement: boolean; // U+FFFD: the wire carried invalid UTF-8
  loneSurrogate: boolean;
  control: boolean; // C0, DEL or C1, except \n and \t
}

function scanText(input: string): TextScan {
  const scan: TextScan = {
    codePoints: 0,
    replacement: false,
    loneSurrogate: false,
    control: false,
  };
  for (const char of input) {
    scan.codePoints += 1;
    const code = char.codePointAt(0) ?? 0;
    if (code === 0xfffd) scan.replacement = true;
    else if (code >= 0xd800 && code <= 0xdfff) scan.loneSurrogate = true;
    else if (code === 0x0a || code === 0x09) continue;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) scan.control = true;
  }
  return scan;
}

function encodingError(field: string, scan: TextScan): ChatError | undefined {
  if (scan.replacement || scan.loneSurrogate) {
    return chatError("invalid-argument", `${field} is not valid UTF-8`);
  }
  return undefined;
}

export function validatePassword(input: string): ChatError | undefined {
  if (typeof input !== "string") return chatError("invalid-argument", "password must be a string");
  const scan = scanText(input);
  if (scan.codePoints < passwordLengthMin || scan.codePoints > passwordLengthMax) {
    return chatError(
      "invalid-argument",
      `password must be ${passwordLengthMin}-${passwordLengthMax} characters`
    );
  }
  const encoding = encodingError("password", scan);
  if (encoding) return encoding;
  if (scan.control || /[\n\t]/.test(input)) {
    return chatError("invalid-argument", "password must not contain control characters");
  }
  return undefined;
}

export function validateText(input: string): ChatError | undefined {
  if (typeof input !== "string") return chatError("invalid-argument", "text must be a string");
  const scan = scanText(input);
  if (scan.codePoints < textLengthMin || scan.codePoints > textLengthMax) {
    return chatError(
      "invalid-argument",
      `text must be ${textLengthMin}-${textLengthMax} characters`
    );
  }
  const encoding = encodingError("text", scan);
  if (encoding) return encoding;
  if (scan.control) {
    return chatError(
      "invalid-argument",
      "text must not contain control characters other than newline and tab"
    );
  }
  return undefined;
}

/** Patterns: at most 64 characters; any character is allowed (only `*` is special). */
export function validatePattern(input: string): ChatError | undefined {
  if (typeof input !== "string") return chatError("invalid-argument", "pattern must be a string");
  const scan = scanText(input);
  if (scan.codePoints > patternLengthMax) {
    return chatError("invalid-argument", `pattern must be at most ${patternLengthMax} characters`);
  }
  const encoding = encodingError("pattern", scan);
  if (encoding) return encoding;
  if (scan.control || /[\n\t]/.test(input)) {
    return chatError("invalid-argument", "pattern must not contain control characters");
  }
  return undefined;
}

function asciiIdError(field: string, input: string, lengthMax: number): ChatError | undefined {
  if (
    typeof input !== "string" ||
    input.length < 1 ||
    input.length > lengthMax ||
    !printableAscii.test(input)
  ) {
    return chatError(
      "invalid-argument",
      `${field} must be 1-${lengthMax} printable ASCII characters`
    );
  }
  return undefined;
}

export function validateClientMsgId(input: string): ChatError | undefined {
  return asciiIdError("client_msg_id", input, clientMsgIdLengthMax);
}

export function validateRequestId(input: string): ChatError | undefined {
  return asciiIdError("chat-request-id", input, requestIdLengthMax);
}

/** The message id the node mints for each send. */
export function validateMessageId(input: string): ChatError | undefined {
  return asciiIdError("message id", input, messageIdLengthMax);
}

/** Password and token hashes the node computes and puts into commands. */
export function validateHash(field: string, input: string): ChatError | undefined {
  return asciiIdError(field, input, hashLengthMax);
}

/** Sequence numbers and cursors: a non-negative safe integer. */
export function validateSeq(field: string, input: number): ChatError | undefined {
  if (typeof input !== "number" || !Number.isSafeInteger(input) || input < 0) {
    return chatError("invalid-argument", `${field} must be a non-negative integer`);
  }
  return undefined;
}

/** A page size: 0 (or absent) means the default; above the max it is clamped. */
export function pageLimit(
  input: number | undefined,
  limitDefault: number,
  limitMax: number
): number | ChatError {
  if (input === undefined || input === 0) return limitDefault;
  if (typeof input !== "number" || !Number.isSafeInteger(input) || input < 0) {
    return chatError("invalid-argument", "limit must be a non-negative integer");
  }
  return Math.min(input, limitMax);
}
