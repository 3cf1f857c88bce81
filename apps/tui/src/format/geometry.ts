// Where every pane sits for a terminal size: one pure function shared by the components (to
// draw) and the reducers (to scroll by a page). The root is rows-1 tall: on Ink 6.8 a frame
// as tall as the terminal clears the scrollback on every render (TUI-NOTES §4.1).
import { draftLayout } from "./draft-layout.js";

export const columnsMin = 40;
export const rowsMin = 10;
export const composerRowsMax = 5;

export interface Geometry {
  columns: number;
  /** Rows drawn: the terminal's rows minus one. */
  height: number;
  tooSmall: boolean;
  usersWidth: number;
  threadWidth: number;
  bodyHeight: number;
  /** Rows of the user list below its filter box. */
  listHeight: number;
  /** Rows of messages below the thread's title line. */
  threadHeight: number;
  composerRows: number;
  composerWidth: number;
}

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

/** The composer's prompt ("> ") takes two columns. */
export const composerPromptWidth = 2;

export function composerLines(draft: string, width: number): string[] {
  return draftLayout(draft, draft.length, width - composerPromptWidth).rows;
}

export function geometry(columns: number, rows: number, draft = ""): Geometry {
  const height = Math.max(1, rows - 1);
  const tooSmall = columns < columnsMin || rows < rowsMin;
  const usersWidth = clamp(Math.round(columns * 0.22), 14, 28);
  const threadWidth = Math.max(1, columns - usersWidth - 1);
  const composerRows = clamp(composerLines(draft, columns).length, 1, composerRowsMax);
  const bodyHeight = Math.max(2, height - composerRows - 2);
  return {
    columns,
    height,
    tooSmall,
    usersWidth,
    threadWidth,
    bodyHeight,
    listHeight: bodyHeight - 1,
    threadHeight: bodyHeight - 1,
    composerRows,
    composerWidth: columns,
  };
}

/** The first row shown so that the selection stays in view, centred when possible. */
export function listWindow(count: number, selected: number, rows: number): number {
  if (count <= rows) return 0;
  return Math.max(0, Math.min(selected - Math.floor(rows / 2), count - rows));
}
