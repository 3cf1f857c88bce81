// Width-correct text helpers. Everything is measured with string-width@8 (the major Ink 6.8
// itself uses), never `.length`, so emoji and CJK take the two columns a terminal gives them.
import stringWidth from "string-width";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function widthOf(s: string): number {
  return stringWidth(s);
}

/**
 * Makes untrusted text safe to print: no escape sequences or control characters (a message
 * must not be able to move the cursor or retitle the terminal); tabs become spaces.
 */
export function sanitize(s: string): string {
  return s
    .replace(/\t/g, "    ")
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "")
    .replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, "");
}

/** Cuts `s` to at most `width` columns, ending in "…" when cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return "";
  if (stringWidth(s) <= width) return s;
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(s)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return out + "…";
}

/** Pads (or truncates) `s` to exactly `width` columns. */
export function fit(s: string, width: number): string {
  const t = truncate(s, width);
  return t + " ".repeat(Math.max(0, width - stringWidth(t)));
}

/** Right-aligns `s` in `width` columns. */
export function fitRight(s: string, width: number): string {
  const t = truncate(s, width);
  return " ".repeat(Math.max(0, width - stringWidth(t))) + t;
}

/**
 * Wraps plain (sanitized) text to `width` columns: at spaces, measuring with string-width.
 * Gives wrap-ansi's lines (tested against it) except that a word longer than a line starts
 * on a fresh line before it is cut; and it is ~10× faster (wrap-ansi costs ~0.5 ms a call,
 * too slow when scrolling through long threads).
 */
export function wrapText(s: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  for (const para of s.split("\n")) wrapParagraph(para, w, lines);
  return lines;
}

function wrapParagraph(para: string, width: number, lines: string[]): void {
  let cur = "";
  let used = 0;
  const push = (): void => {
    lines.push(cur.replace(/\s+$/, ""));
    cur = "";
    used = 0;
  };
  for (const token of para.split(/(\s+)/)) {
    if (token === "") continue;
    const tw = stringWidth(token);
    if (/^\s/.test(token)) {
      if (used > 0 && used + tw <= width) {
        cur += token;
        used += tw;
      } else if (used > 0) push();
      continue;
    }
    if (used + tw <= width) {
      cur += token;
      used += tw;
      continue;
    }
    if (used > 0) push();
    if (tw <= width) {
      cur = token;
      used = tw;
      continue;
    }
    for (const { segment } of segmenter.segment(token)) {
      const gw = stringWidth(segment);
      if (used + gw > width && used > 0) push();
      cur += segment;
      used += gw;
    }
  }
  if (used > 0 || cur !== "" || lines.length === 0 || para === "") push();
}

/** Centres `label` in a rule of `─` exactly `width` columns wide: "── label ──". */
export function rule(label: string, width: number): string {
  if (width <= 0) return "";
  const text = label ? ` ${truncate(label, Math.max(0, width - 4))} ` : "";
  const rest = Math.max(0, width - stringWidth(text));
  const left = Math.floor(rest / 2);
  return "─".repeat(left) + text + "─".repeat(rest - left);
}
