// Message commands: send (exactly once per (sender, client_msg_id)) and mark-read (read
// marks only move forward; the unread count drops by the messages newly marked read).

import type { MarkReadCommand, MarkReadResult, SendCommand, SendResult } from "./commands.js";
import { appendMessage, countTo } from "./conversations.js";
import { rememberSend, sendKeyOf } from "./dedup.js";
import { chatError, errors, type ChatError } from "./errors.js";
import { sessionAccount } from "./sessions.js";
import { accountByName, accountIndex, messageAt, type ChatState } from "./state.js";
import { fail, ok, type Outcome } from "./types.js";
import {
  normalizeUsername,
  validateClientMsgId,
  validateMessageId,
  validateSeq,
  validateText,
} from "./validate.js";

function sendFieldsError(command: SendCommand): ChatError | undefined {
  const invalid =
    validateText(command.text) ??
    validateClientMsgId(command.clientMsgId) ??
    validateMessageId(command.messageId);
  if (invalid) return invalid;
  if (typeof command.sentAtMs !== "number" || !Number.isFinite(command.sentAtMs)) {
    return chatError("invalid-argument", "sent_at_ms must be a finite number");
  }
  return undefined;
}

export function applySend(state: ChatState, command: SendCommand, ts: number): Outcome<SendResult> {
  const sender = sessionAccount(state, command.tokenHash, ts);
  if (!sender) return fail(errors.sessionInvalid());
  const to = normalizeUsername(command.to);
  if (typeof to !== "string") return fail(to);
  const invalid = sendFieldsError(command);
  if (invalid) return fail(invalid);
  // A repeated client_msg_id returns the first message, even if the rest differs.
  const prior = state.sendKeys.get(sendKeyOf(sender.id, command.clientMsgId));
  if (prior) return ok({ message: messageAt(state, prior.seq), duplicate: true });
  if (to === sender.username) return fail(errors.selfSend());
  const recipient = accountByName(state, to);
  if (!recipient) return fail(errors.unknownUser(to));
  const message = appendMessage(state, sender, recipient, {
    id: command.messageId,
    text: command.text,
    sentAtMs: command.sentAtMs,
    clientMsgId: command.clientMsgId,
  });
  rememberSend(state, {
    accountId: sender.id,
    clientMsgId: command.clientMsgId,
    seq: message.seq,
    ts,
  });
  return ok({ message, duplicate: false });
}

export function applyMarkRead(
  state: ChatState,
  command: MarkReadCommand,
  ts: number
): Outcome<MarkReadResult> {
  const reader = sessionAccount(state, command.tokenHash, ts);
  if (!reader) return fail(errors.sessionInvalid());
  const peerName = normalizeUsername(command.peer);
  if (typeof peerName !== "string") return fail(peerName);
  const invalid = validateSeq("up_to_seq", command.upToSeq);
  if (invalid) return fail(invalid);
  if (peerName === reader.username) return fail(errors.selfConversation());
  const peer = accountByName(state, peerName);
  if (!peer) return fail(errors.unknownUser(peerName));
  const view = accountIndex(state, reader.id).conversations.get(peer.id);
  if (!view) return ok({ peer: peerName, readUpToSeq: 0, unread: 0 });
  // Clamped to the last seq, so a message appended later is never born read.
  const target = Math.min(command.upToSeq, state.messages.length);
  if (target > view.readUpToSeq) {
    // The marks only move forward, so each message is counted once as it is read: a reader that
    // moves its mark by one at a time never makes every replica walk the rest of its backlog.
    view.unread -= countTo(state, reader, view, target);
    view.readUpToSeq = target;
  }
  return ok({ peer: peerName, readUpToSeq: view.readUpToSeq, unread: view.unread });
}
