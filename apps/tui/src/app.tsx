// Starts the full-screen TUI over a ChatClient and resolves with the exit code once it ends.
// Loaded by cli.ts only after NO_COLOR/--no-color is applied, so Ink's colour level sees it.
import { render } from "ink";
import type { ChatClient } from "./client-port.js";
import { EffectRunner } from "./hooks/effect-runner.js";
import type { StepEnv } from "./state/effects.js";
import { appStep, initialApp, type AppAction, type AppState } from "./state/app.js";
import { createStore, systemEnv, type Store } from "./state/store.js";
import { guardTerminal } from "./terminal.js";
import { Root } from "./ui/root.js";

export interface AppOptions {
  /** Ring the terminal bell when a message arrives for a conversation that is not open. */
  bell?: boolean;
}

export interface AppWiring {
  store: Store<AppState, AppAction>;
  runner: EffectRunner;
  dispose(): void;
}

/** The store, the effect runner and the client's cluster feed, connected (no terminal I/O). */
export function wireApp(
  client: ChatClient,
  size: { columns: number; rows: number },
  hooks: { onQuit(): void; onBell?(): void },
  env: () => StepEnv = systemEnv
): AppWiring {
  let runner: EffectRunner | undefined;
  const store = createStore(initialApp(client.cluster(), size), appStep, env, (effects) =>
    runner?.perform(effects)
  );
  runner = new EffectRunner(client, store.dispatch, hooks);
  const offCluster = client.onChange((cluster) =>
    store.dispatch({ type: "cluster-changed", cluster })
  );
  const r = runner;
  return {
    store,
    runner: r,
    dispose() {
      offCluster();
      r.dispose();
    },
  };
}

export async function startApp(client: ChatClient, options: AppOptions = {}): Promise<number> {
  const out = process.stdout;
  let exitCode = 0;
  let unmount = (): void => undefined;
  const guard = guardTerminal(
    out,
    (code) => {
      exitCode = code;
      unmount();
    },
    (err) => {
      process.stderr.write(
        `chat-tui: crashed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`
      );
      process.exit(1);
    }
  );
  const size = (): { columns: number; rows: number } => ({
    columns: out.columns || 80,
    rows: out.rows || 24,
  });
  const app = wireApp(client, size(), {
    onQuit: () => unmount(),
    onBell: options.bell ? () => out.write("\x07") : undefined,
  });
  const onResize = (): void => app.store.dispatch({ type: "resized", ...size() });
  out.on("resize", onResize);
  let failure: unknown;
  try {
    const instance = render(<Root store={app.store} />, {
      exitOnCtrlC: false,
      patchConsole: true,
      // Ink 6.8's incremental renderer misplaces lines once useCursor has moved the cursor
      // (seen in tmux: the frame drifted a row down); full redraws are correct and cheap here.
      incrementalRendering: false,
      maxFps: 30,
    });
    unmount = () => instance.unmount();
    await instance.waitUntilExit();
  } catch (err) {
    failure = err; // a render error: Ink unmounted; report it once the screen is restored
  } finally {
    out.off("resize", onResize);
    app.dispose();
    client.close();
    guard.restore();
    guard.dispose();
  }
  if (failure !== undefined) {
    const text = failure instanceof Error ? failure.stack ?? failure.message : String(failure);
    process.stderr.write(`chat-tui: crashed: ${text}\n`);
    return 1;
  }
  return exitCode;
}
