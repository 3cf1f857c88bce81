// The login screen: username, masked password, the log-in / create-account toggle, the
// server's error inline, and the status bar so the cluster's health is visible before login.
import { Box, Text, useCursor } from "ink";
import type { Dispatch } from "react";
import type { ClusterState } from "../client-port.js";
import { fit } from "../format/text.js";
import { usePaneKeys } from "../hooks/use-pane-keys.js";
import type { AppAction } from "../state/app.js";
import type { LoginField, LoginState } from "../state/login.js";
import { StatusBar } from "./status-bar.js";
import { fieldView } from "./text-field.js";

export const loginFieldColumn = 13;
const rowOf: Record<LoginField, number> = { username: 2, password: 3, mode: 4 };
export const passwordMask = "•";

export function loginFieldWidth(columns: number): number {
  return Math.max(8, Math.min(40, columns - loginFieldColumn - 1));
}

function Label(props: { field: LoginField; current: LoginField; text: string }) {
  const on = props.field === props.current;
  return <Text bold={on}>{`${on ? ">" : " "} ${props.text.padEnd(loginFieldColumn - 3)} `}</Text>;
}

export function LoginScreen(props: {
  login: LoginState;
  notice: string | undefined;
  cluster: ClusterState;
  elapsedMs: number;
  width: number;
  height: number;
  dispatch: Dispatch<AppAction>;
}) {
  const { login: l, notice, cluster, elapsedMs, width, height, dispatch } = props;
  usePaneKeys("login", true, dispatch);
  const fw = loginFieldWidth(width);
  const user = fieldView(l.username, fw);
  const pass = fieldView(l.password, fw, passwordMask);
  const { setCursorPosition } = useCursor();
  const col = l.field === "username" ? user.cursorColumn : pass.cursorColumn;
  setCursorPosition(
    l.field === "mode" || l.busy ? undefined : { x: loginFieldColumn + col, y: rowOf[l.field] }
  );
  const title = l.mode === "login" ? "chat-tui — log in" : "chat-tui — create an account";
  const radio = (on: boolean): string => (on ? "[x]" : "[ ]");
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate">
        {fit(title, width)}
      </Text>
      <Text> </Text>
      <Text wrap="truncate">
        <Label field="username" current={l.field} text="Username" />
        {user.text}
      </Text>
      <Text wrap="truncate">
        <Label field="password" current={l.field} text="Password" />
        {pass.text}
      </Text>
      <Text wrap="truncate">
        <Label field="mode" current={l.field} text="Mode" />
        {`${radio(l.mode === "login")} log in   ${radio(l.mode === "register")} create account`}
      </Text>
      <Text> </Text>
      {l.error ? (
        <Text color="red" wrap="truncate">{`! ${l.error}`}</Text>
      ) : l.busy ? (
        <Text color="yellow">{l.mode === "login" ? "logging in…" : "creating account…"}</Text>
      ) : notice ? (
        <Text color="yellow" wrap="truncate">
          {notice}
        </Text>
      ) : (
        <Text> </Text>
      )}
      <Text dimColor wrap="truncate">
        Enter submits · Tab / ↑↓ move · Ctrl+T log in ⇄ create account · Ctrl+C quits
      </Text>
      <Box flexGrow={1} />
      <StatusBar me={undefined} cluster={cluster} width={width} elapsedMs={elapsedMs} />
    </Box>
  );
}
