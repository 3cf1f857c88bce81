// Structural checks for a command read back from the log: it is untrusted JSON, so a
// missing field or a wrong type must become an invalid-argument outcome, never a throw.

import { commandKinds, type CommandKind } from "./commands.js";
import { chatError, quote, type ChatError } from "./errors.js";
import { validateRequestId } from "./validate.js";

type FieldType = "string" | "number";

const fieldTypes = {
  register: { username: "string", passwordHash: "string", tokenHash: "string" },
  login: { username: "string", passwordHash: "string", tokenHash: "string" },
  logout: { tokenHash: "string" },
  "delete-account": { tokenHash: "string", confirmUsername: "string" },
  send: {
    tokenHash: "string",
    to: "string",
    text: "string",
    clientMsgId: "string",
    messageId: "string",
    sentAtMs: "number",
  },
  "mark-read": { tokenHash: "string", peer: "string", upToSeq: "number" },
} as const satisfies Record<CommandKind, Record<string, FieldType>>;

const fieldList = Object.fromEntries(
  Object.entries(fieldTypes).map(([kind, fields]) => [kind, Object.entries(fields)])
) as Record<CommandKind, [string, FieldType][]>;

function isKind(value: unknown): value is CommandKind {
  return (commandKinds as readonly unknown[]).includes(value);
}

/** Undefined when `input` has a known kind, a valid request id and well-typed fields. */
export function commandShapeError(input: unknown): ChatError | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return chatError("invalid-argument", "a command must be an object");
  }
  const record = input as Record<string, unknown>;
  if (!isKind(record.kind)) {
    return chatError("invalid-argument", `unknown command kind ${quote(String(record.kind))}`);
  }
  const requestIdError = validateRequestId(record.requestId as string);
  if (requestIdError) return requestIdError;
  for (const [field, type] of fieldList[record.kind]) {
    if (typeof record[field] !== type) {
      return chatError("invalid-argument", `${record.kind}: ${field} must be a ${type}`);
    }
  }
  return undefined;
}
