// The login screen's state: two fields, the log-in / create-account toggle, the server's
// error shown inline, and whether a request is in flight. Validation mirrors DESIGN §5 so
// obvious mistakes are caught before a round trip.
import type { Action } from "../keys/keymap.js";
import { editLine, emptyLine, insertText, type LineState } from "./line-edit.js";

export type LoginField = "username" | "password" | "mode";
export type LoginMode = "login" | "register";

export interface LoginState {
  mode: LoginMode;
  field: LoginField;
  username: LineState;
  password: LineState;
  error: string | undefined;
  busy: boolean;
}

export const initialLogin: LoginState = {
  mode: "login",
  field: "username",
  username: emptyLine,
  password: emptyLine,
  error: undefined,
  busy: false,
};

export type LoginAction =
  | { type: "insert"; text: string }
  | { type: "key"; action: Action }
  | { type: "submitted" }
  | { type: "failed"; error: string };

const fields: readonly LoginField[] = ["username", "password", "mode"];

function moveField(s: LoginState, step: 1 | -1): LoginState {
  const i = fields.indexOf(s.field);
  const next = fields[(i + step + fields.length) % fields.length] ?? "username";
  return { ...s, field: next };
}

function editField(s: LoginState, f: (l: LineState) => LineState): LoginState {
  if (s.field === "mode") return s;
  return { ...s, [s.field]: f(s[s.field]), error: undefined };
}

/** A reason the form cannot be sent yet, or undefined when it can. */
export function loginProblem(s: LoginState): string | undefined {
  const name = s.username.text;
  if (name === "") return "enter a username";
  if (!/^[a-zA-Z0-9_.-]{1,32}$/.test(name)) {
    return "usernames are 1–32 of a-z 0-9 _ . -";
  }
  if (s.password.text === "") return "enter a password";
  if (s.mode === "register" && s.password.text.length < 8) {
    return "passwords need at least 8 characters";
  }
  return undefined;
}

export function loginReducer(s: LoginState, a: LoginAction): LoginState {
  switch (a.type) {
    case "insert":
      if (s.busy) return s;
      if (s.field === "mode") return s;
      return editField(s, (l) => insertText(l, a.text.replace(/\n/g, "")));
    case "key":
      if (s.busy) return s;
      if (a.action === "focus-next") return moveField(s, 1);
      if (a.action === "focus-prev") return moveField(s, -1);
      if (a.action === "toggle-mode") return toggle(s);
      return editField(s, (l) => editLine(l, a.action));
    case "submitted":
      return { ...s, busy: true, error: undefined };
    case "failed":
      return { ...s, busy: false, error: a.error };
  }
}

function toggle(s: LoginState): LoginState {
  return { ...s, mode: s.mode === "login" ? "register" : "login", error: undefined };
}
