// The commands the log carries and what each one returns. Commands are plain JSON objects
// tagged by `kind`; everything random or time-dependent (ids, hashes, wall time) is minted
// by the node and travels inside the command, so applying it is deterministic.

import type { Message, Outcome, UnreadCount } from "./types.js";

export const commandKinds = [
  "register",
  "login",
  "logout",
  "delete-account",
  "send",
  "mark-read",
] as const;

export type CommandKind = (typeof commandKinds)[number];

interface Base {
  /** The `chat-request-id`: a repeat returns the stored outcome (R21). */
  readonly requestId: string;
}

/** Creates an account and logs it in (a session for `tokenHash`). */
export interface RegisterCommand extends Base {
  readonly kind: "register";
  readonly username: string;
  readonly passwordHash: string;
  readonly tokenHash: string;
}

/** The node verified the password against `findAccount`'s hash and sends that hash. */
export interface LoginCommand extends Base {
  readonly kind: "login";
  readonly username: string;
  readonly passwordHash: string;
  readonly tokenHash: string;
}

export interface LogoutCommand extends Base {
  readonly kind: "logout";
  readonly tokenHash: string;
}

export interface DeleteAccountCommand extends Base {
  readonly kind: "delete-account";
  readonly tokenHash: string;
  readonly confirmUsername: string;
}

export interface SendCommand extends Base {
  readonly kind: "send";
  readonly tokenHash: string;
  readonly to: string;
  readonly text: string;
  readonly clientMsgId: string;
  readonly messageId: string;
  readonly sentAtMs: number;
}

export interface MarkReadCommand extends Base {
  readonly kind: "mark-read";
  readonly tokenHash: string;
  readonly peer: string;
  readonly upToSeq: number;
}

export type Command =
  | RegisterCommand
  | LoginCommand
  | LogoutCommand
  | DeleteAccountCommand
  | SendCommand
  | MarkReadCommand;

export interface AuthResult {
  readonly username: string;
  readonly unread: readonly UnreadCount[];
}

export type LogoutResult = Readonly<Record<string, never>>;

export interface DeleteAccountResult {
  readonly username: string;
}

export interface SendResult {
  readonly message: Message;
  /** True when nothing was appended: a repeated client_msg_id or chat-request-id. */
  readonly duplicate: boolean;
}

export interface MarkReadResult {
  readonly peer: string;
  readonly readUpToSeq: number;
  readonly unread: number;
}

export interface CommandResults {
  readonly register: AuthResult;
  readonly login: AuthResult;
  readonly logout: LogoutResult;
  readonly "delete-account": DeleteAccountResult;
  readonly send: SendResult;
  readonly "mark-read": MarkReadResult;
}

export type CommandOutcome<K extends CommandKind = CommandKind> = Outcome<CommandResults[K]>;

/** Where a command sits in the log: its index and its log time (R1), both non-decreasing. */
export interface ApplyContext {
  readonly index: number;
  readonly ts: number;
}
