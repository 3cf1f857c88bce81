// Every key binding of the TUI, in one table: what each key does in each place. Components
// ask `actionFor(scopes, event)`; the help overlay (`?`) renders this same table, so a key
// cannot work without being listed, nor be listed without working.
import type { KeyEvent } from "./parse-keys.js";

export type Scope =
  | "global"
  | "login"
  | "login-mode"
  | "edit"
  | "nav"
  | "users"
  | "filter"
  | "thread"
  | "composer"
  | "dialog"
  | "confirm"
  | "help";

export type Action =
  | "quit"
  | "help"
  | "focus-next"
  | "focus-prev"
  | "focus-filter"
  | "focus-composer"
  | "logout"
  | "delete-account"
  | "toggle-mode"
  | "submit"
  | "edit-left"
  | "edit-right"
  | "edit-home"
  | "edit-end"
  | "edit-backspace"
  | "edit-delete"
  | "edit-kill-start"
  | "edit-kill-end"
  | "edit-kill-word"
  | "edit-newline"
  | "move-up"
  | "move-down"
  | "move-top"
  | "move-bottom"
  | "open"
  | "page-up"
  | "page-down"
  | "history-prev"
  | "history-next"
  | "retry"
  | "back"
  | "confirm"
  | "cancel";

export interface Binding {
  scope: Scope;
  action: Action;
  keys: readonly string[];
  help: string;
}

export const scopeTitles: Record<Scope, string> = {
  global: "Anywhere",
  login: "Login screen",
  "login-mode": "Login screen, on the mode row",
  edit: "Editing text (composer, filter, fields)",
  nav: "User list and thread (when not typing)",
  users: "User list",
  filter: "Filter box",
  thread: "Thread",
  composer: "Composer",
  dialog: "Dialogs",
  confirm: "Yes/no questions",
  help: "This help",
};

export const keymap: readonly Binding[] = [
  { scope: "global", action: "quit", keys: ["ctrl+c"], help: "quit (restores the terminal)" },
  { scope: "login", action: "focus-next", keys: ["tab", "down"], help: "next field" },
  { scope: "login", action: "focus-prev", keys: ["shift+tab", "up"], help: "previous field" },
  { scope: "login", action: "toggle-mode", keys: ["ctrl+t"], help: "log in ⇄ create account" },
  { scope: "login", action: "submit", keys: ["enter"], help: "log in / create account" },
  {
    scope: "login-mode",
    action: "toggle-mode",
    keys: [" ", "left", "right"],
    help: "switch log in / create account",
  },
  { scope: "edit", action: "edit-left", keys: ["left", "ctrl+b"], help: "cursor left" },
  { scope: "edit", action: "edit-right", keys: ["right", "ctrl+f"], help: "cursor right" },
  { scope: "edit", action: "edit-home", keys: ["ctrl+a", "home"], help: "start of line" },
  { scope: "edit", action: "edit-end", keys: ["ctrl+e", "end"], help: "end of line" },
  { scope: "edit", action: "edit-backspace", keys: ["backspace"], help: "delete left" },
  { scope: "edit", action: "edit-delete", keys: ["delete", "ctrl+d"], help: "delete right" },
  { scope: "edit", action: "edit-kill-start", keys: ["ctrl+u"], help: "delete to start" },
  { scope: "edit", action: "edit-kill-end", keys: ["ctrl+k"], help: "delete to end" },
  {
    scope: "edit",
    action: "edit-kill-word",
    keys: ["ctrl+w", "alt+backspace"],
    help: "delete word",
  },
  { scope: "nav", action: "quit", keys: ["q"], help: "quit" },
  { scope: "nav", action: "help", keys: ["?", "f1"], help: "this help" },
  { scope: "nav", action: "focus-next", keys: ["tab"], help: "next pane" },
  { scope: "nav", action: "focus-prev", keys: ["shift+tab"], help: "previous pane" },
  { scope: "nav", action: "focus-filter", keys: ["/"], help: "filter users (* = wildcard)" },
  { scope: "nav", action: "focus-composer", keys: ["i"], help: "write a message" },
  { scope: "nav", action: "logout", keys: ["L"], help: "log out" },
  { scope: "nav", action: "delete-account", keys: ["D"], help: "delete my account" },
  { scope: "users", action: "move-up", keys: ["up", "k"], help: "previous user" },
  { scope: "users", action: "move-down", keys: ["down", "j"], help: "next user" },
  { scope: "users", action: "move-top", keys: ["home", "g"], help: "first user" },
  { scope: "users", action: "move-bottom", keys: ["end", "G"], help: "last user" },
  { scope: "users", action: "open", keys: ["enter", "right", "l"], help: "open conversation" },
  { scope: "filter", action: "submit", keys: ["enter", "down"], help: "go to the list" },
  { scope: "filter", action: "cancel", keys: ["escape"], help: "clear the filter" },
  { scope: "thread", action: "page-up", keys: ["pageup", "ctrl+b"], help: "scroll up a page" },
  {
    scope: "thread",
    action: "page-down",
    keys: ["pagedown", "ctrl+f"],
    help: "scroll down a page",
  },
  { scope: "thread", action: "move-up", keys: ["up", "k"], help: "scroll up a line" },
  { scope: "thread", action: "move-down", keys: ["down", "j"], help: "scroll down a line" },
  { scope: "thread", action: "move-top", keys: ["home", "g"], help: "oldest message" },
  { scope: "thread", action: "move-bottom", keys: ["end", "G"], help: "newest message" },
  { scope: "thread", action: "retry", keys: ["r", "ctrl+r"], help: "retry failed sends" },
  { scope: "thread", action: "back", keys: ["escape", "h"], help: "back to the user list" },
  { scope: "composer", action: "submit", keys: ["enter"], help: "send" },
  {
    scope: "composer",
    action: "edit-newline",
    keys: ["alt+enter", "shift+enter"],
    help: "new line",
  },
  { scope: "composer", action: "history-prev", keys: ["up"], help: "previous sent (when empty)" },
  { scope: "composer", action: "history-next", keys: ["down"], help: "next sent" },
  { scope: "composer", action: "page-up", keys: ["pageup"], help: "scroll the thread up" },
  { scope: "composer", action: "page-down", keys: ["pagedown"], help: "scroll the thread down" },
  { scope: "composer", action: "retry", keys: ["ctrl+r"], help: "retry failed sends" },
  { scope: "composer", action: "focus-next", keys: ["tab"], help: "next pane" },
  { scope: "composer", action: "focus-prev", keys: ["shift+tab"], help: "previous pane" },
  { scope: "composer", action: "back", keys: ["escape"], help: "stop typing (q, ? work again)" },
  { scope: "dialog", action: "confirm", keys: ["enter"], help: "confirm" },
  { scope: "dialog", action: "cancel", keys: ["escape"], help: "cancel" },
  { scope: "confirm", action: "confirm", keys: ["y", "enter"], help: "yes" },
  { scope: "confirm", action: "cancel", keys: ["n", "escape"], help: "no" },
  { scope: "help", action: "cancel", keys: ["escape", "?", "q", "enter"], help: "close help" },
  { scope: "help", action: "move-up", keys: ["up", "k"], help: "scroll up" },
  { scope: "help", action: "move-down", keys: ["down", "j"], help: "scroll down" },
  { scope: "help", action: "page-up", keys: ["pageup"], help: "page up" },
  { scope: "help", action: "page-down", keys: ["pagedown", " "], help: "page down" },
];

/** The canonical name of a key event ("ctrl+c", "shift+tab", "G", "?"), as used above. */
export function describeKey(ev: KeyEvent): string | undefined {
  if (ev.kind === "paste") return undefined;
  if (ev.kind === "text") return [...ev.text].length === 1 ? ev.text : undefined;
  const base = ev.name === "char" ? ev.char ?? "" : ev.name;
  const mods = (ev.ctrl ? "ctrl+" : "") + (ev.meta ? "alt+" : "") + (ev.shift ? "shift+" : "");
  return mods + base;
}

const byScope = new Map<Scope, Map<string, Action>>();
for (const b of keymap) {
  const table = byScope.get(b.scope) ?? new Map<string, Action>();
  for (const k of b.keys) {
    if (table.has(k)) throw new Error(`keymap: ${k} bound twice in ${b.scope}`);
    table.set(k, b.action);
  }
  byScope.set(b.scope, table);
}

/** The action a key event means in the first of `scopes` that binds it. */
export function actionFor(scopes: readonly Scope[], ev: KeyEvent): Action | undefined {
  const name = describeKey(ev);
  if (name === undefined) return undefined;
  for (const s of scopes) {
    const a = byScope.get(s)?.get(name);
    if (a) return a;
  }
  return undefined;
}

/** The keys bound to an action in a scope, for hints ("? help"). */
export function keysFor(scope: Scope, action: Action): readonly string[] {
  return keymap.find((b) => b.scope === scope && b.action === action)?.keys ?? [];
}
