import assert from "node:assert/strict";
import { test } from "node:test";
import {
  initialLogin,
  loginProblem,
  loginReducer,
  type LoginAction,
  type LoginState,
} from "./login.js";

const run = (s: LoginState, ...as: LoginAction[]): LoginState => as.reduce(loginReducer, s);

test("Tab moves between fields and wraps; Ctrl+T toggles the mode", () => {
  let s = run(initialLogin, { type: "key", action: "focus-next" });
  assert.equal(s.field, "password");
  s = run(s, { type: "key", action: "focus-next" }, { type: "key", action: "focus-next" });
  assert.equal(s.field, "username");
  s = run(s, { type: "key", action: "toggle-mode" });
  assert.equal(s.mode, "register");
});

test("typing goes to the focused field; the error clears on edit", () => {
  const s = run(
    initialLogin,
    { type: "insert", text: "bob" },
    { type: "failed", error: "unknown user" }
  );
  assert.equal(s.error, "unknown user");
  const t = run(s, { type: "insert", text: "by" });
  assert.equal(t.username.text, "bobby");
  assert.equal(t.error, undefined);
});

test("validation before a round trip", () => {
  assert.equal(loginProblem(initialLogin), "enter a username");
  const s = run(initialLogin, { type: "insert", text: "Bad Name" });
  assert.match(loginProblem(s) ?? "", /usernames are/);
  const reg = { ...run(initialLogin, { type: "insert", text: "ok" }), mode: "register" as const };
  const short = run({ ...reg, field: "password" }, { type: "insert", text: "short" });
  assert.match(loginProblem(short) ?? "", /at least 8/);
});

test("busy ignores input", () => {
  const s = run(initialLogin, { type: "submitted" }, { type: "insert", text: "x" });
  assert.equal(s.username.text, "");
  assert.equal(s.busy, true);
});
