// The terminal modes the full-screen app changes, and putting them back on every way out:
// normal exit, Ctrl+C, SIGTERM/SIGHUP/SIGINT, an uncaught exception. Ink restores raw mode and
// the cursor when it unmounts, but not the alternate screen or bracketed paste (TUI-NOTES §4.1).

export const enterSequence = "\x1b[?1049h\x1b[H\x1b[?2004h";
export const leaveSequence = "\x1b[?2004l\x1b[?1049l\x1b[?25h";

export interface TerminalGuard {
  /** Idempotent: leaves the alternate screen and turns bracketed paste off. */
  restore(): void;
  dispose(): void;
}

export const signalExitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type Signal = keyof typeof signalExitCodes;

/**
 * Enters the alternate screen and arranges to leave it. `onSignal` asks the app to shut down
 * (unmount, close the client) with the signal's exit code; `onCrash` runs after a restore.
 */
export function guardTerminal(
  out: NodeJS.WriteStream,
  onSignal: (code: number) => void,
  onCrash: (err: unknown) => void
): TerminalGuard {
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write(leaveSequence);
  };
  const signals = Object.keys(signalExitCodes) as Signal[];
  const handlers = signals.map((sig) => {
    const h = (): void => onSignal(signalExitCodes[sig]);
    process.on(sig, h);
    return [sig, h] as const;
  });
  const crash = (err: unknown): void => {
    restore();
    onCrash(err);
  };
  process.on("exit", restore);
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  out.write(enterSequence);
  return {
    restore,
    dispose() {
      for (const [sig, h] of handlers) process.off(sig, h);
      process.off("exit", restore);
      process.off("uncaughtException", crash);
      process.off("unhandledRejection", crash);
    },
  };
}
