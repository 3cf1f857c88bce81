// The public API of @chat-tui/chat-state: the pure, deterministic chat state machine every
// replica replays from the commit log. It imports nothing: time, ids and hashes arrive
// inside commands, so the same commands give the same state on every replica.

export { applyCommand } from "./apply.js";
export {
  commandKinds,
  type ApplyContext,
  type AuthResult,
  type Command,
  type CommandKind,
  type CommandOutcome,
  type CommandResults,
  type DeleteAccountCommand,
  type DeleteAccountResult,
  type LoginCommand,
  type LogoutCommand,
  type LogoutResult,
  type MarkReadCommand,
  type MarkReadResult,
  type RegisterCommand,
  type SendCommand,
  type SendResult,
} from "./commands.js";
export { stateDigest } from "./digest.js";
export {
  assertNever,
  chatError,
  chatErrorKinds,
  isChatError,
  type ChatError,
  type ChatErrorKind,
} from "./errors.js";
export { checkInvariants } from "./invariants.js";
export * as limits from "./limits.js";
export {
  authenticate,
  eventsAfter,
  findAccount,
  history,
  isKnownRequest,
  lastSeq,
  listUsers,
  unreadCounts,
  type HistoryRequest,
  type ListUsersPage,
  type ListUsersRequest,
} from "./queries.js";
export { SealedPage, type MessageRow } from "./message-log.js";
export {
  chunkedHeader,
  isChunkedHeader,
  snapshotChunks,
  snapshotChunksReusingPages,
  SnapshotRestorer,
  type ChunkedSnapshotHeader,
  type SnapshotChunk,
  type VerbatimChunk,
} from "./snapshot-chunks.js";
export {
  captureSnapshot,
  restoreSnapshot,
  type ReadMark,
  type SnapshotCapture,
  type SnapshotHeader,
} from "./snapshot.js";
export {
  createState,
  type Account,
  type ChatState,
  type DedupEntry,
  type SendKey,
  type Session,
} from "./state.js";
export type { Message, Outcome, UnreadCount } from "./types.js";
export {
  normalizeUsername,
  validateClientMsgId,
  validatePassword,
  validatePattern,
  validateRequestId,
  validateText,
} from "./validate.js";
export { matchesPattern } from "./wildcard.js";
