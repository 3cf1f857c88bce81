// Wire ⇄ domain for ChatService: the only place that sees both `*_pb` types and chat-state
// types. Untrusted input is validated here before anything reaches the pipeline.
import { create } from "@bufbuild/protobuf";
import {
  AuthResponseSchema,
  MessageSchema,
  type AuthResponse,
  type Message as WireMessage,
} from "@chat-tui/proto";
import type { Message } from "@chat-tui/chat-state";

export function toWireMessage(m: Message): WireMessage {
  return create(MessageSchema, {
    seq: BigInt(m.seq),
    id: m.id,
    from: m.from,
    to: m.to,
    text: m.text,
    sentAtMs: BigInt(m.sentAtMs),
    clientMsgId: m.clientMsgId,
  });
}

export function toAuthResponse(
  token: string,
  username: string,
  unread: readonly { peer: string; count: number }[],
): AuthResponse {
  return create(AuthResponseSchema, { token, username, unread: unread.map((u) => ({ ...u })) });
}

/** A uint64 from the wire as a safe JS number, or undefined when it is out of range. */
export function safeNumber(value: bigint): number | undefined {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}
