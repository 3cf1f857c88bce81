// The message composer at the bottom: the draft, wrapped over up to five rows, with a
// prompt that says where it will go. The terminal's cursor is placed by the main screen.
import { Box, Text } from "ink";
import { draftLayout } from "../format/draft-layout.js";
import { composerPromptWidth } from "../format/geometry.js";
import { fit } from "../format/text.js";
import type { LineState } from "../state/line-edit.js";

export interface ComposerProps {
  line: LineState;
  peer: string | undefined;
  focused: boolean;
  width: number;
  rows: number;
}

export function composerLayout(line: LineState, width: number, rows: number) {
  return draftLayout(line.text, line.cursor, width - composerPromptWidth, rows);
}

export function Composer(props: ComposerProps) {
  const { line, peer, focused, width, rows } = props;
  if (line.text === "") {
    const hint =
      peer === undefined
        ? "select a user and press Enter to start a conversation"
        : focused
        ? `message ${peer} — Enter sends, Esc stops typing`
        : `press i (or Tab) to write to ${peer}`;
    return (
      <Box height={rows}>
        <Text wrap="truncate">
          <Text bold={focused}>{"> "}</Text>
          <Text dimColor>{fit(hint, width - composerPromptWidth)}</Text>
        </Text>
      </Box>
    );
  }
  const layout = composerLayout(line, width, rows);
  return (
    <Box flexDirection="column" height={rows}>
      {layout.rows.map((r, i) => (
        <Text key={i} wrap="truncate">
          <Text bold={focused}>{i === 0 ? "> " : "  "}</Text>
          {r}
        </Text>
      ))}
    </Box>
  );
}
