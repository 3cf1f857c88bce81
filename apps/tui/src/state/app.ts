// The whole TUI as one pure state machine: which screen is up (login or main), the cluster as
// the SDK last reported it, and the terminal size. `appStep` is the single entry point —
// (state, action, env) → [state, effects] — in the manner of raft's `Step`.
import type { ClusterState, Session } from "../client-port.js";
import { actionFor } from "../keys/keymap.js";
import type { KeyEvent } from "../keys/parse-keys.js";
import type { Effect, Step, StepEnv } from "./effects.js";
import { lineOf } from "./line-edit.js";
import { initialLogin, loginProblem, loginReducer, type LoginState } from "./login.js";
import { mainKey, type KeyTarget } from "./main-keys.js";
import {
  initialMain,
  mainData,
  maybeLoadOlder,
  maybeMarkRead,
  type MainAction,
  type MainState,
} from "./main.js";

export type Screen =
  | { kind: "login"; login: LoginState; notice: string | undefined }
  | { kind: "main"; main: MainState };

export interface AppState {
  cluster: ClusterState;
  /** When the current connection state was reported, and the latest tick (for countdowns). */
  clusterSinceMs: number;
  nowMs: number;
  size: { columns: number; rows: number };
  screen: Screen;
}

export type AppAction =
  | { type: "key"; target: KeyTarget | "login" | "global"; ev: KeyEvent }
  | { type: "login-ok"; session: Session }
  | { type: "login-failed"; error: string }
  | { type: "cluster-changed"; cluster: ClusterState }
  | { type: "tick" }
  | { type: "logged-out"; notice: string; username: string | undefined }
  | { type: "dialog-failed"; error: string }
  | MainAction;

export function initialApp(
  cluster: ClusterState,
  size: { columns: number; rows: number }
): AppState {
  return {
    cluster,
    clusterSinceMs: 0,
    nowMs: 0,
    size,
    screen: { kind: "login", login: initialLogin, notice: undefined },
  };
}

function loginKey(s: AppState, login: LoginState, ev: KeyEvent): Step<AppState> {
  const put = (l: LoginState): AppState => ({
    ...s,
    screen: { kind: "login", login: l, notice: undefined },
  });
  const onMode = login.field === "mode";
  if (ev.kind !== "key" && !onMode) {
    return [put(loginReducer(login, { type: "insert", text: ev.text })), []];
  }
  const action = actionFor(onMode ? ["login-mode", "login"] : ["login", "edit"], ev);
  if (action === undefined) return [s, []];
  if (action !== "submit") return [put(loginReducer(login, { type: "key", action })), []];
  if (login.busy) return [s, []];
  if (login.field === "username" && login.password.text === "" && login.username.text !== "") {
    return [put({ ...login, field: "password" }), []];
  }
  const problem = loginProblem(login);
  if (problem) return [put(loginReducer(login, { type: "failed", error: problem })), []];
  const effect: Effect = {
    kind: "login",
    mode: login.mode,
    username: login.username.text.toLowerCase(),
    password: login.password.text,
  };
  return [put(loginReducer(login, { type: "submitted" })), [effect]];
}

function onMain(s: AppState, step: Step<MainState>): Step<AppState> {
  const [m1, e1] = step;
  const [m2, e2] = maybeMarkRead(m1);
  const [m3, e3] = maybeLoadOlder(m2);
  return [{ ...s, screen: { kind: "main", main: m3 } }, [...e1, ...e2, ...e3]];
}

function toLogin(s: AppState, notice: string, username: string | undefined): Step<AppState> {
  const login = username
    ? { ...initialLogin, username: lineOf(username), field: "password" as const }
    : initialLogin;
  return [{ ...s, screen: { kind: "login", login, notice } }, [{ kind: "stop-events" }]];
}

/** How long ago the SDK reported the current connection state. */
export function connectionElapsedMs(s: AppState): number {
  return Math.max(0, s.nowMs - s.clusterSinceMs);
}

export function appStep(s: AppState, a: AppAction, env: StepEnv): Step<AppState> {
  const screen = s.screen;
  switch (a.type) {
    case "key":
      if (a.target === "global") {
        return actionFor(["global"], a.ev) === "quit" ? [s, [{ kind: "quit" }]] : [s, []];
      }
      if (screen.kind === "login")
        return a.target === "login" ? loginKey(s, screen.login, a.ev) : [s, []];
      // Keys typed on the login screen that arrive after the switch (type-ahead) go to main.
      return onMain(s, mainKey(screen.main, a.ev, env));
    case "login-ok": {
      if (screen.kind !== "login") return [s, []];
      const main = initialMain(a.session.username, a.session.unread, env.nowMs, s.size);
      return [
        { ...s, screen: { kind: "main", main } },
        [{ kind: "start-events" }, { kind: "search-users", pattern: "" }],
      ];
    }
    case "login-failed":
      if (screen.kind !== "login") return [s, []];
      return [
        {
          ...s,
          screen: {
            ...screen,
            login: loginReducer(screen.login, { type: "failed", error: a.error }),
          },
        },
        [],
      ];
    case "cluster-changed": {
      const was = s.cluster.connection.kind;
      const next = { ...s, cluster: a.cluster, clusterSinceMs: env.nowMs, nowMs: env.nowMs };
      if (
        screen.kind === "main" &&
        was !== "connected" &&
        a.cluster.connection.kind === "connected"
      ) {
        return onMain(next, mainData(screen.main, { type: "reconnected" }));
      }
      return [next, []];
    }
    case "tick":
      return [{ ...s, nowMs: env.nowMs }, []];
    case "logged-out":
      return screen.kind === "login" ? [s, []] : toLogin(s, a.notice, a.username);
    case "dialog-failed": {
      if (screen.kind !== "main") return [s, []];
      const d = screen.main.dialog;
      const dialog =
        d.kind === "delete" ? { ...d, busy: false, error: a.error } : { kind: "none" as const };
      const notice =
        d.kind === "delete" ? screen.main.notice : { text: a.error, tone: "error" as const };
      return [{ ...s, screen: { kind: "main", main: { ...screen.main, dialog, notice } } }, []];
    }
    case "resized": {
      const sized = { ...s, size: { columns: a.columns, rows: a.rows } };
      return screen.kind === "main" ? onMain(sized, mainData(screen.main, a)) : [sized, []];
    }
    default:
      return screen.kind === "main" ? onMain(s, mainData(screen.main, a)) : [s, []];
  }
}
