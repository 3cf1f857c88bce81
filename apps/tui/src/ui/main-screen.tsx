// The main screen: user list | thread above the notice rule, composer and status bar; a
// dialog or the help overlay replaces the body. Lays out from format/geometry.ts, wires each
// pane's keys (gated by focus) and puts the terminal cursor in the field being typed in.
import { Box, Text, useCursor } from "ink";
import type { Dispatch } from "react";
import type { ClusterState } from "../client-port.js";
import { composerPromptWidth, type Geometry } from "../format/geometry.js";
import { usePaneKeys } from "../hooks/use-pane-keys.js";
import type { AppAction } from "../state/app.js";
import { keyTarget } from "../state/main-keys.js";
import { mainGeometry, outboxFor, type MainState } from "../state/main.js";
import { Composer, composerLayout } from "./composer.js";
import { DeleteDialog, LogoutDialog, dialogFieldWidth, dialogTop } from "./dialogs.js";
import { HelpOverlay } from "./help-overlay.js";
import { NoticeLine } from "./notice-line.js";
import { StatusBar } from "./status-bar.js";
import { fieldView } from "./text-field.js";
import { Thread } from "./thread.js";
import { UserList } from "./user-list.js";

function welcomeLines(s: MainState): string[] {
  const lines = [`Welcome, ${s.me}.`];
  if (s.notice?.tone === "info") lines.push(s.notice.text);
  lines.push(
    " ",
    "↑↓ or j k choose a user, Enter opens the conversation.",
    "/ filters users (* is a wildcard)."
  );
  lines.push("Tab moves between panes. ? lists every key. q quits.");
  return lines;
}

/** Where the terminal's cursor goes: in the field that is being typed in, else hidden. */
export function cursorPosition(s: MainState, g: Geometry): { x: number; y: number } | undefined {
  const d = s.dialog;
  if (d.kind === "delete") {
    const left = Math.floor((g.columns - Math.min(g.columns, 60)) / 2);
    const f = fieldView(d.line, dialogFieldWidth(g.columns));
    return { x: left + 4 + f.cursorColumn, y: dialogTop + 2 };
  }
  if (d.kind !== "none") return undefined;
  if (s.focus === "filter")
    return { x: 2 + fieldView(s.filter, g.usersWidth - 2).cursorColumn, y: 0 };
  if (s.focus === "composer" && s.open !== undefined) {
    const l = composerLayout(s.composer.line, g.columns, g.composerRows);
    return { x: composerPromptWidth + l.cursorColumn, y: g.bodyHeight + 1 + l.cursorRow };
  }
  return undefined;
}

function Body(props: { s: MainState; g: Geometry }) {
  const { s, g } = props;
  const d = s.dialog;
  if (d.kind === "help")
    return <HelpOverlay width={g.columns} height={g.bodyHeight} offset={d.offset} />;
  if (d.kind === "delete") {
    return (
      <DeleteDialog
        me={s.me}
        line={d.line}
        error={d.error}
        busy={d.busy}
        width={g.columns}
        height={g.bodyHeight}
      />
    );
  }
  if (d.kind === "logout")
    return <LogoutDialog me={s.me} busy={d.busy} width={g.columns} height={g.bodyHeight} />;
  const open = s.open;
  const peer = open === undefined ? undefined : s.users.find((u) => u.username === open);
  return (
    <Box flexDirection="row" height={g.bodyHeight}>
      <UserList
        users={s.users}
        selected={s.selected}
        open={open}
        unread={s.unread}
        filter={s.filter}
        focused={s.focus === "users"}
        filterFocused={s.focus === "filter"}
        width={g.usersWidth}
        height={g.bodyHeight}
      />
      <Box width={1} height={g.bodyHeight} overflow="hidden">
        <Text dimColor>{Array.from({ length: g.bodyHeight }, () => "│").join("\n")}</Text>
      </Box>
      <Thread
        me={s.me}
        conversation={open === undefined ? undefined : s.conversations[open]}
        outbox={open === undefined ? [] : outboxFor(s, open)}
        online={peer?.online}
        focused={s.focus === "thread"}
        width={g.threadWidth}
        height={g.bodyHeight}
        welcome={welcomeLines(s)}
      />
    </Box>
  );
}

export function MainScreen(props: {
  main: MainState;
  cluster: ClusterState;
  elapsedMs: number;
  dispatch: Dispatch<AppAction>;
}) {
  const { main: s, cluster, elapsedMs, dispatch } = props;
  const g = mainGeometry(s);
  const target = keyTarget(s);
  usePaneKeys("users", target === "users", dispatch);
  usePaneKeys("filter", target === "filter", dispatch);
  usePaneKeys("thread", target === "thread", dispatch);
  usePaneKeys("composer", target === "composer", dispatch);
  usePaneKeys("dialog", target === "dialog", dispatch);
  const { setCursorPosition } = useCursor();
  setCursorPosition(cursorPosition(s, g));
  return (
    <Box flexDirection="column" width={g.columns} height={g.height} overflow="hidden">
      <Body s={s} g={g} />
      <NoticeLine
        notice={s.open === undefined && s.notice?.tone === "info" ? undefined : s.notice}
        width={g.columns}
      />
      <Composer
        line={s.composer.line}
        peer={s.open}
        focused={s.focus === "composer"}
        width={g.columns}
        rows={g.composerRows}
      />
      <StatusBar me={s.me} cluster={cluster} width={g.columns} elapsedMs={elapsedMs} />
    </Box>
  );
}
