// Turns the raw strings Ink 6.8 reads from the terminal into key events, in one pure place.
// Why not Ink's own `useInput` flags: on Ink 6.8 a chunk like "hello\r" (fast typing, ssh,
// tmux send-keys) arrives without `key.return`, "ab\x7f\x7f" loses its backspaces, Backspace
// and Delete both report `key.delete`, and a pasted multi-line block looks like typing
// followed by Enter (TUI-NOTES §3.2). This decoder handles all of these, plus bracketed paste.

export type KeyName =
  | "enter"
  | "backspace"
  | "delete"
  | "tab"
  | "escape"
  | "up"
  | "down"
  | "left"
  | "right"
  | "pageup"
  | "pagedown"
  | "home"
  | "end"
  | "f1"
  | "insert"
  | "char";

export type KeyEvent =
  /** Printable text typed (possibly several characters that arrived in one chunk). */
  | { kind: "text"; text: string }
  /** Text that must be inserted, never acted on: pasted lines, bracketed paste. */
  | { kind: "paste"; text: string }
  /** A non-text key; for Ctrl/Alt+letter `name` is "char" and `char` holds the letter. */
  | { kind: "key"; name: KeyName; char?: string; ctrl: boolean; meta: boolean; shift: boolean };

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";
/** A bracketed paste larger than this is cut (limits: never buffer without bound). */
export const pasteBytesMax = 64 * 1024;

function key(
  name: KeyName,
  mods: Partial<{ ctrl: boolean; meta: boolean; shift: boolean }> = {},
  char?: string
): KeyEvent {
  const ev: KeyEvent = {
    kind: "key",
    name,
    ctrl: mods.ctrl ?? false,
    meta: mods.meta ?? false,
    shift: mods.shift ?? false,
  };
  if (char !== undefined) ev.char = char;
  return ev;
}

/** xterm modifier parameter: 1 + (shift 1 | alt 2 | ctrl 4). */
function mods(param: string | undefined): { ctrl: boolean; meta: boolean; shift: boolean } {
  const n = Math.max(0, Number.parseInt(param ?? "1", 10) - 1) || 0;
  return { shift: (n & 1) !== 0, meta: (n & 2) !== 0, ctrl: (n & 4) !== 0 };
}

const csiLetter: Record<string, KeyName> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  P: "f1",
};
const csiTilde: Record<string, KeyName> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "2": "insert",
  "3": "delete",
  "5": "pageup",
  "6": "pagedown",
  "11": "f1",
};

function csiU(code: number, m: ReturnType<typeof mods>): KeyEvent | undefined {
  if (code === 13) return key("enter", m);
  if (code === 9) return key("tab", m);
  if (code === 27) return key("escape", m);
  if (code === 127 || code === 8) return key("backspace", m);
  if (code < 32) return undefined;
  const ch = String.fromCodePoint(code);
  if (!m.ctrl && !m.meta) return { kind: "text", text: m.shift ? ch.toUpperCase() : ch };
  return key("char", m, ch.toLowerCase());
}

/** Decodes one escape sequence at the start of `s`; returns the event and its length. */
function decodeEscape(s: string): { ev: KeyEvent | undefined; length: number } {
  const csi = /^\x1b\[(\[?)([0-9;:?]*)([@-~])/.exec(s);
  if (csi) {
    const [whole, , params = "", final = ""] = csi;
    const parts = params.split(";");
    if (final === "~") {
      if (params === "200" || params === "201") return { ev: undefined, length: whole.length };
      const name = csiTilde[parts[0] ?? ""];
      return { ev: name ? key(name, mods(parts[1])) : undefined, length: whole.length };
    }
    if (final === "u") {
      const code = Number.parseInt(parts[0] ?? "", 10);
      return { ev: csiU(code, mods(parts[1]?.split(":")[0])), length: whole.length };
    }
    if (final === "Z") return { ev: key("tab", { shift: true }), length: whole.length };
    const name = csiLetter[final];
    return { ev: name ? key(name, mods(parts[1])) : undefined, length: whole.length };
  }
  const ss3 = /^\x1bO([A-Z])/.exec(s);
  if (ss3) {
    const name = csiLetter[ss3[1] ?? ""];
    return { ev: name ? key(name) : undefined, length: 3 };
  }
  if (s.length === 1) return { ev: key("escape"), length: 1 };
  if (s[1] === "\x1b") {
    // ESC ESC [ A: Alt + an escape sequence (some terminals), or Esc pressed twice.
    const inner = decodeEscape(s.slice(1));
    if (inner.ev?.kind === "key" && inner.ev.name !== "escape") inner.ev.meta = true;
    return { ev: inner.ev, length: inner.length + 1 };
  }
  const cp = s.codePointAt(1) ?? 0;
  const ch = String.fromCodePoint(cp);
  const length = 1 + ch.length;
  if (ch === "\r" || ch === "\n") return { ev: key("enter", { meta: true }), length };
  if (ch === "\x7f" || ch === "\b") return { ev: key("backspace", { meta: true }), length };
  if (cp < 32) return { ev: undefined, length };
  return { ev: key("char", { meta: true }, ch), length };
}

function controlChar(c: string): KeyEvent | undefined {
  const code = c.charCodeAt(0);
  if (c === "\r" || c === "\n") return key("enter");
  if (c === "\t") return key("tab");
  if (c === "\x7f" || c === "\b") return key("backspace");
  if (code >= 1 && code <= 26) return key("char", { ctrl: true }, String.fromCharCode(code + 96));
  return undefined; // NUL, other C0 codes: ignored
}

/** One plain (escape-free) run: typed characters, control keys, or a paste. */
function decodeRun(run: string): KeyEvent[] {
  // A line break with text after it means pasted lines; line breaks only at the end are
  // Enter presses ("a*\r\r": type, Enter, Enter — fast typing or a laggy link).
  const body = run.replace(/[\r\n]+$/, "");
  if (/[\r\n]/.test(body)) {
    return [{ kind: "paste", text: normaliseNewlines(body) }];
  }
  const out: KeyEvent[] = [];
  let text = "";
  for (const c of run) {
    if (c >= " " && c !== "\x7f") {
      text += c;
      continue;
    }
    if (text) out.push({ kind: "text", text });
    text = "";
    const ev = controlChar(c);
    if (ev) out.push(ev);
  }
  if (text) out.push({ kind: "text", text });
  return out;
}

export function normaliseNewlines(s: string): string {
  return s.replace(/\r\n|\r/g, "\n");
}

/** Decodes a string that may mix escape sequences and plain runs (stateless). */
export function parseKeys(raw: string): KeyEvent[] {
  const out: KeyEvent[] = [];
  let i = 0;
  while (i < raw.length) {
    const esc = raw.indexOf("\x1b", i);
    if (esc !== i) {
      const end = esc < 0 ? raw.length : esc;
      out.push(...decodeRun(raw.slice(i, end)));
      i = end;
      continue;
    }
    const { ev, length } = decodeEscape(raw.slice(i));
    if (ev) out.push(ev);
    i += length;
  }
  return out;
}

/** A stateful decoder: like `parseKeys`, plus bracketed paste (`ESC[200~ … ESC[201~`). */
export function createKeyDecoder(): { push(raw: string): KeyEvent[] } {
  let paste: string | undefined;
  return {
    push(raw: string): KeyEvent[] {
      const out: KeyEvent[] = [];
      let rest = raw;
      while (rest.length > 0) {
        if (paste === undefined) {
          const start = rest.indexOf(PASTE_START);
          if (start < 0) {
            out.push(...parseKeys(rest));
            break;
          }
          out.push(...parseKeys(rest.slice(0, start)));
          paste = "";
          rest = rest.slice(start + PASTE_START.length);
          continue;
        }
        const end = rest.indexOf(PASTE_END);
        paste = (paste + (end < 0 ? rest : rest.slice(0, end))).slice(0, pasteBytesMax);
        if (end < 0) break;
        const text = normaliseNewlines(paste);
        if (text) out.push({ kind: "paste", text });
        paste = undefined;
        rest = rest.slice(end + PASTE_END.length);
      }
      return out;
    },
  };
}
