// Structured logs (pino, JSON lines): every line names the node, its epoch and its role.
import { pino, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

export interface LogContext {
  node: number;
  epoch: () => number;
  role: () => string;
}

export function createLogger(context: LogContext, level = process.env.CHAT_LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { node: context.node },
    mixin: () => ({ epoch: context.epoch(), role: context.role() }),
    redact: { paths: ["password", "token", "*.password", "*.token", "passwordHash", "tokenHash"], censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger for tests and tools: silent unless CHAT_LOG_LEVEL says otherwise. */
export function quietLogger(): Logger {
  return pino({ level: process.env.CHAT_LOG_LEVEL ?? "silent" });
}
