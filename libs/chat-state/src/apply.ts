// The one entry point that changes state: applyCommand. It advances log time, expires
// sessions and dedup entries by that time (only here, R21), answers a repeated request id
// from the dedup table, and otherwise dispatches to the per-kind handler and stores the
// outcome. Deterministic: same commands and contexts in, same state and outcomes out.

import {
  applyDeleteAccount,
  applyLogin,
  applyLogout,
  applyRegister,
  reissueSession,
} from "./apply-account.js";
import { applyMarkRead, applySend } from "./apply-message.js";
import type { ApplyContext, Command, CommandOutcome } from "./commands.js";
import { expireDedup, rememberOutcome, replayOutcome, storedEntry } from "./dedup.js";
import { assertNever, errors, invariant } from "./errors.js";
import { expireSessions } from "./sessions.js";
import { commandShapeError } from "./shape.js";
import type { ChatState, DedupEntry } from "./state.js";
import { fail } from "./types.js";

/**
 * Applies one committed command at log position `ctx` and returns its outcome. Bad input
 * yields `{ok: false}`; it throws only on a broken invariant, such as `ctx.ts` or
 * `ctx.index` going backwards (a caller bug).
 */
export function applyCommand<C extends Command>(
  state: ChatState,
  command: C,
  ctx: ApplyContext
): CommandOutcome<C["kind"]> {
  advanceClock(state, ctx);
  // Each handler returns the result type of its own kind.
  return applyUntrusted(state, command, ctx.ts) as CommandOutcome<C["kind"]>;
}

function advanceClock(state: ChatState, ctx: ApplyContext): void {
  invariant(
    Number.isSafeInteger(ctx.index) && ctx.index >= state.appliedIndex,
    `log index went from ${state.appliedIndex} to ${ctx.index}`
  );
  invariant(
    Number.isFinite(ctx.ts) && ctx.ts >= state.lastTs,
    `log time went from ${state.lastTs} to ${ctx.ts}`
  );
  state.appliedIndex = ctx.index;
  state.lastTs = ctx.ts;
  expireSessions(state, ctx.ts);
  expireDedup(state, ctx.ts);
}

function applyUntrusted(state: ChatState, input: unknown, ts: number): CommandOutcome {
  const shapeError = commandShapeError(input);
  if (shapeError) return fail(shapeError);
  const command = input as Command;
  const stored = state.requests.get(command.requestId);
  if (stored) return replay(state, stored, command, ts);
  const outcome = execute(state, command, ts);
  rememberOutcome(state, storedEntry(command, outcome, ts));
  return outcome;
}

function replay(
  state: ChatState,
  stored: DedupEntry,
  command: Command,
  ts: number
): CommandOutcome {
  if (stored.kind !== command.kind) {
    return fail(errors.requestIdReused(command.requestId, stored.kind));
  }
  if ((command.kind === "register" || command.kind === "login") && stored.outcome.ok) {
    reissueSession(state, command, ts);
  }
  return replayOutcome(state, stored);
}

function execute(state: ChatState, command: Command, ts: number): CommandOutcome {
  switch (command.kind) {
    case "register":
      return applyRegister(state, command, ts);
    case "login":
      return applyLogin(state, command, ts);
    case "logout":
      return applyLogout(state, command, ts);
    case "delete-account":
      return applyDeleteAccount(state, command, ts);
    case "send":
      return applySend(state, command, ts);
    case "mark-read":
      return applyMarkRead(state, command, ts);
    default:
      return assertNever(command);
  }
}
