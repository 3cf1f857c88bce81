// Account commands: register, login, logout, delete-account. Each validates its input
// again (apply is authoritative), re-checks the session or account it relies on, and
// returns an Outcome; none of them throws on bad input.

import type {
  AuthResult,
  DeleteAccountCommand,
  DeleteAccountResult,
  LoginCommand,
  LogoutCommand,
  LogoutResult,
  RegisterCommand,
} from "./commands.js";
import { dropConversationsOf, unreadOf } from "./conversations.js";
import { purgeSendKeys } from "./dedup.js";
import { errors, type ChatError } from "./errors.js";
import { openSession, revokeAllSessions, revokeSession, sessionAccount } from "./sessions.js";
import { accountByName, dropAccount, insertAccount, type ChatState } from "./state.js";
import { fail, ok, type Outcome } from "./types.js";
import { normalizeUsername, validateHash } from "./validate.js";

type Credentials = RegisterCommand | LoginCommand;

function credentialsError(command: Credentials): ChatError | undefined {
  return (
    validateHash("password hash", command.passwordHash) ??
    validateHash("token hash", command.tokenHash)
  );
}

export function applyRegister(
  state: ChatState,
  command: RegisterCommand,
  ts: number
): Outcome<AuthResult> {
  const username = normalizeUsername(command.username);
  if (typeof username !== "string") return fail(username);
  const invalid = credentialsError(command);
  if (invalid) return fail(invalid);
  if (state.accountIds.has(username)) return fail(errors.usernameTaken(username));
  if (state.sessions.has(command.tokenHash)) return fail(errors.tokenInUse());
  const account = {
    id: state.nextAccountId,
    username,
    passwordHash: command.passwordHash,
    firstSeq: state.messages.length + 1,
    createdTs: ts,
  };
  insertAccount(state, Object.freeze(account));
  openSession(state, account, command.tokenHash, ts);
  return ok({ username, unread: [] });
}

export function applyLogin(
  state: ChatState,
  command: LoginCommand,
  ts: number
): Outcome<AuthResult> {
  const username = normalizeUsername(command.username);
  if (typeof username !== "string") return fail(username);
  const invalid = credentialsError(command);
  if (invalid) return fail(invalid);
  const account = accountByName(state, username);
  if (!account) return fail(errors.unknownUser(username));
  if (account.passwordHash !== command.passwordHash) return fail(errors.wrongPassword());
  if (state.sessions.has(command.tokenHash)) return fail(errors.tokenInUse());
  openSession(state, account, command.tokenHash, ts);
  return ok({ username, unread: unreadOf(state, account) });
}

/**
 * A repeated Register/Login whose first outcome was ok reaches a node that minted a new
 * token; the first token died with the old primary. When the command still proves the
 * password (its hash equals the stored one, as the node puts it after verifying), the new
 * token gets a session too, so the retried call answers with a token that works.
 */
export function reissueSession(state: ChatState, command: Credentials, ts: number): void {
  const username = normalizeUsername(command.username);
  if (typeof username !== "string" || credentialsError(command)) return;
  const account = accountByName(state, username);
  if (!account || account.passwordHash !== command.passwordHash) return;
  if (state.sessions.has(command.tokenHash)) return;
  openSession(state, account, command.tokenHash, ts);
}

export function applyLogout(
  state: ChatState,
  command: LogoutCommand,
  ts: number
): Outcome<LogoutResult> {
  if (!sessionAccount(state, command.tokenHash, ts)) return fail(errors.sessionInvalid());
  revokeSession(state, command.tokenHash);
  return ok({});
}

export function applyDeleteAccount(
  state: ChatState,
  command: DeleteAccountCommand,
  ts: number
): Outcome<DeleteAccountResult> {
  const account = sessionAccount(state, command.tokenHash, ts);
  if (!account) return fail(errors.sessionInvalid());
  const confirm = command.confirmUsername;
  if (typeof confirm !== "string" || confirm.toLowerCase() !== account.username) {
    return fail(errors.confirmMismatch(String(confirm), account.username));
  }
  revokeAllSessions(state, account);
  purgeSendKeys(state, account.id);
  dropConversationsOf(state, account);
  dropAccount(state, account);
  return ok({ username: account.username });
}
