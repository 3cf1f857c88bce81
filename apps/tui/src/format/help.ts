// The help overlay's text, made from keymap.ts (so it lists every binding), flowed into as
// many columns as the width allows; taller than the screen, it scrolls.
import { keymap, scopeTitles, type Scope } from "../keys/keymap.js";
import { fit } from "./text.js";

const names: Record<string, string> = {
  pageup: "PgUp",
  pagedown: "PgDn",
  home: "Home",
  end: "End",
  enter: "Enter",
  escape: "Esc",
  tab: "Tab",
  backspace: "Bksp",
  delete: "Del",
  up: "↑",
  down: "↓",
  left: "←",
  right: "→",
  f1: "F1",
  " ": "Space",
};

export function prettyKey(k: string): string {
  return k
    .split("+")
    .map((p, i, all) => {
      if (i < all.length - 1) return (p[0]?.toUpperCase() ?? "") + p.slice(1);
      return names[p] ?? (all.length > 1 ? p.toUpperCase() : p);
    })
    .join("+");
}

export const helpColumnWidth = 40;

export function helpEntries(): string[] {
  const out: string[] = [];
  const scopes = [...new Set(keymap.map((b) => b.scope))] as Scope[];
  for (const scope of scopes) {
    if (out.length > 0) out.push("");
    out.push(`${scopeTitles[scope]}`);
    for (const b of keymap.filter((x) => x.scope === scope)) {
      out.push(`  ${fit(b.keys.map(prettyKey).join(" "), 15)} ${b.help}`);
    }
  }
  return out;
}

export interface HelpLayout {
  columns: string[][];
  rowsTotal: number;
}

export function helpLayout(width: number, height: number): HelpLayout {
  const entries = helpEntries();
  const cols = Math.max(1, Math.floor(width / helpColumnWidth));
  const perColumn = Math.max(height, Math.ceil(entries.length / cols));
  const columns: string[][] = [];
  for (let i = 0; i < entries.length; i += perColumn) columns.push(entries.slice(i, i + perColumn));
  return { columns, rowsTotal: perColumn };
}

/** The largest useful scroll offset for a help area of this size. */
export function helpOffsetMax(width: number, height: number): number {
  return Math.max(0, helpLayout(width, height).rowsTotal - height);
}
