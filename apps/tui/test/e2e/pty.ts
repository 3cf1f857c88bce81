// Runs a program in a real pseudo-terminal (@lydell/node-pty) and keeps an emulated screen
// (@xterm/headless) of what it draws, so E2E tests assert on the text a person would see.
// Reusable for any run of the TUI: the fake chat (CHAT_TUI_FAKE=1) or a real cluster
// (pass --cluster / CHAT_CLUSTER in `args`/`env`). CI is removed from the environment:
// Ink 6 renders nothing but the last frame when it believes it runs in CI (TUI-NOTES §4.1).
import { spawn, type IPty } from "@lydell/node-pty";
import xterm from "@xterm/headless";

const { Terminal } = xterm;

export interface PtyOptions {
  cols?: number;
  rows?: number;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface PtySession {
  /** The visible screen, one string per row, trailing blanks trimmed. */
  lines(): string[];
  screen(): string;
  /** Every byte the program wrote, as text (for checking escape sequences). */
  raw(): string;
  /** True while the program shows the alternate screen buffer. */
  altScreen(): boolean;
  write(data: string): void;
  /** Writes each chunk separately, waiting for the terminal to settle in between. */
  type(...chunks: string[]): Promise<void>;
  waitFor(
    what: string | RegExp | ((screen: string) => boolean),
    timeoutMs?: number
  ): Promise<string>;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  kill(signal?: string): void;
}

export function spawnPty(file: string, args: string[], options: PtyOptions = {}): PtySession {
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 30;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, TERM: "xterm-256color", ...options.env })) {
    if (v !== undefined && k !== "CI" && k !== "CONTINUOUS_INTEGRATION") env[k] = v;
  }
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  const pty: IPty = spawn(file, args, {
    name: "xterm-256color",
    cols,
    rows,
    cwd: options.cwd ?? process.cwd(),
    env,
  });
  let pending = 0;
  let raw = "";
  pty.onData((d) => {
    raw += d;
    pending += 1;
    term.write(d, () => {
      pending -= 1;
    });
  });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  let done = false;
  void exited.then(() => (done = true));

  const lines = (): string[] => {
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < term.rows; y += 1)
      out.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? "");
    return out;
  };
  const screen = (): string => lines().join("\n");
  const settle = async (): Promise<void> => {
    await new Promise((go) => setTimeout(go, 30));
    while (pending > 0) await new Promise((go) => setTimeout(go, 5));
  };

  return {
    lines,
    screen,
    raw: () => raw,
    altScreen: () => term.buffer.active.type === "alternate",
    write: (data) => pty.write(data),
    async type(...chunks) {
      for (const c of chunks) {
        pty.write(c);
        await settle();
      }
    },
    async waitFor(what, timeoutMs = 10_000) {
      const ok =
        typeof what === "string"
          ? (s: string) => s.includes(what)
          : what instanceof RegExp
          ? (s: string) => what.test(s)
          : what;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = screen();
        if (ok(s)) return s;
        if (Date.now() > deadline || (done && pending === 0 && !ok(screen()))) {
          throw new Error(
            `pty waitFor(${String(what)}) ${done ? "after exit" : "timed out"}; screen:\n${s}`
          );
        }
        await new Promise((go) => setTimeout(go, 20));
      }
    },
    resize(c, r) {
      pty.resize(c, r);
      term.resize(c, r);
    },
    exited,
    kill(signal = "SIGTERM") {
      if (!done) pty.kill(signal);
    },
  };
}
