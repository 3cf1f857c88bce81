// Draws one line of an editable field inside `width` columns, scrolled so the cursor stays
// visible, and reports where the cursor is (the caller places the terminal's real cursor
// there with Ink's useCursor, which also works for IME and without colour).
import { Text } from "ink";
import { truncate, widthOf } from "../format/text.js";
import type { LineState } from "../state/line-edit.js";

export interface FieldView {
  text: string;
  cursorColumn: number;
}

/** The visible slice of a single-line field and the cursor's column within it. */
export function fieldView(line: LineState, width: number, mask?: string): FieldView {
  const shown =
    mask === undefined ? line.text.replace(/\n/g, "⏎") : mask.repeat([...line.text].length);
  const before =
    mask === undefined
      ? line.text.slice(0, line.cursor).replace(/\n/g, "⏎")
      : mask.repeat([...line.text.slice(0, line.cursor)].length);
  const room = Math.max(1, width - 1);
  let start = 0;
  let col = widthOf(before);
  const chars = [...shown];
  while (col > room && start < chars.length) {
    col -= widthOf(chars[start] ?? "");
    start += 1;
  }
  return { text: truncate(chars.slice(start).join(""), width), cursorColumn: col };
}

export function TextField(props: {
  line: LineState;
  width: number;
  mask?: string;
  placeholder?: string;
}) {
  const { line, width, mask, placeholder } = props;
  if (line.text === "" && placeholder) return <Text dimColor>{truncate(placeholder, width)}</Text>;
  return <Text>{fieldView(line, width, mask).text}</Text>;
}
