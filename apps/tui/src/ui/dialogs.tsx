// The modal dialogs drawn over the body area: delete account (type your username), log out
// (y/n). Each only renders; its keys go through the reducer like every other key.
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { fit } from "../format/text.js";
import type { LineState } from "../state/line-edit.js";
import { fieldView } from "./text-field.js";

function Frame(props: { title: string; width: number; height: number; children: ReactNode }) {
  const { title, width, height, children } = props;
  const w = Math.min(width, 60);
  return (
    <Box
      width={width}
      height={height}
      flexDirection="column"
      alignItems="center"
      paddingTop={dialogTop}
    >
      <Box flexDirection="column" width={w} borderStyle="round" paddingX={1}>
        <Text bold>{fit(title, w - 4)}</Text>
        {children}
      </Box>
    </Box>
  );
}

/** Rows above a dialog's frame; with the border and title, its first field is on row top+2. */
export const dialogTop = 1;

/** Inner width of a dialog's text field for a body this wide. */
export function dialogFieldWidth(width: number): number {
  return Math.min(width, 60) - 4 - 2;
}

export function DeleteDialog(props: {
  me: string;
  line: LineState;
  error: string | undefined;
  busy: boolean;
  width: number;
  height: number;
}) {
  const { me, line, error, busy, width, height } = props;
  const fw = dialogFieldWidth(width);
  return (
    <Frame title={`Delete account — type ${me} to confirm`} width={width} height={height}>
      <Text>
        {"> "}
        {fieldView(line, fw).text}
      </Text>
      <Text wrap="wrap">This deletes {me} and all of its sessions; it cannot be undone.</Text>
      {error ? <Text color="red">! {error}</Text> : <Text> </Text>}
      <Text dimColor>{busy ? "deleting…" : "Enter deletes · Esc cancels"}</Text>
    </Frame>
  );
}

export function LogoutDialog(props: { me: string; busy: boolean; width: number; height: number }) {
  const { me, busy, width, height } = props;
  return (
    <Frame title="Log out" width={width} height={height}>
      <Text>Log out {me}? Unsent messages are discarded.</Text>
      <Text dimColor>{busy ? "logging out…" : "y / Enter: log out · n / Esc: stay"}</Text>
    </Frame>
  );
}
