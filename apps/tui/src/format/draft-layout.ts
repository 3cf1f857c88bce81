// Lays the composer's draft out in rows of `width` columns (character wrap, so the cursor's
// row and column are exact), keeping at most `rowsMax` rows around the cursor.
import { widthOf } from "./text.js";

export interface DraftLayout {
  rows: string[];
  cursorRow: number;
  cursorColumn: number;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function draftLayout(
  text: string,
  cursor: number,
  width: number,
  rowsMax = Number.POSITIVE_INFINITY
): DraftLayout {
  const w = Math.max(2, width);
  const rows: string[] = [""];
  let col = 0;
  let cursorRow = 0;
  let cursorColumn = 0;
  const place = (): void => {
    cursorRow = rows.length - 1;
    cursorColumn = col;
  };
  for (const { segment, index } of segmenter.segment(text)) {
    if (index === cursor) place();
    if (segment === "\n" || segment === "\r\n") {
      rows.push("");
      col = 0;
      continue;
    }
    const sw = widthOf(segment);
    if (col + sw > w - 1) {
      rows.push("");
      col = 0;
      if (index === cursor) place();
    }
    rows[rows.length - 1] += segment;
    col += sw;
  }
  if (cursor >= text.length) place();
  if (rows.length <= rowsMax) return { rows, cursorRow, cursorColumn };
  const start = Math.min(Math.max(0, cursorRow - rowsMax + 1), rows.length - rowsMax);
  return { rows: rows.slice(start, start + rowsMax), cursorRow: cursorRow - start, cursorColumn };
}
