// One render helper for every component test: ink-testing-library underneath, frames with
// colour stripped and trailing blanks trimmed, key constants, and `waitFor` (never sleeps).
import { render } from "ink-testing-library";
import type { ReactElement } from "react";

process.env.TZ = "UTC"; // thread times and day rules are in local time: pin it for snapshots

export const keys = {
  enter: "\r",
  tab: "\t",
  shiftTab: "\x1b[Z",
  escape: "\x1b",
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
  home: "\x1b[H",
  end: "\x1b[F",
  backspace: "\x7f",
  delete: "\x1b[3~",
  ctrl: (c: string): string => String.fromCharCode(c.toLowerCase().charCodeAt(0) - 96),
} as const;

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

export function stripAnsi(s: string): string {
  return s.replace(ansi, "");
}

export function clean(frame: string | undefined): string {
  return stripAnsi(frame ?? "")
    .split("\n")
    .map((l) => l.replace(/\s+$/, ""))
    .join("\n")
    .replace(/\n+$/, "");
}

export interface Rendered {
  frame(): string;
  write(...chunks: string[]): Promise<void>;
  waitFor(
    what: string | RegExp | ((frame: string) => boolean),
    timeoutMs?: number
  ): Promise<string>;
  rerender(tree: ReactElement): void;
  unmount(): void;
}

const tick = (): Promise<void> => new Promise((go) => setImmediate(go));

export function renderTui(tree: ReactElement): Rendered {
  const r = render(tree);
  const frame = (): string => clean(r.lastFrame());
  return {
    frame,
    async write(...chunks) {
      for (const c of chunks) {
        r.stdin.write(c);
        // Let Ink parse the chunk (a lone ESC is flushed on the next setImmediate).
        await tick();
        await tick();
      }
    },
    async waitFor(what, timeoutMs = 3000) {
      const ok =
        typeof what === "string"
          ? (f: string) => f.includes(what)
          : what instanceof RegExp
          ? (f: string) => what.test(f)
          : what;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = frame();
        if (ok(f)) return f;
        if (Date.now() > deadline) {
          throw new Error(`waitFor timed out (${String(what)}); last frame:\n${f}`);
        }
        await new Promise((go) => setTimeout(go, 5));
      }
    },
    rerender: (tree) => r.rerender(tree),
    unmount: () => r.unmount(),
  };
}
