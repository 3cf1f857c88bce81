// Connects one key target (a pane or the dialog) to the store: its key events become
// `{ type: "key", target, ev }` actions, and only while it owns the keyboard.
import type { Dispatch } from "react";
import { useKeys } from "../keys/use-keys.js";
import type { AppAction } from "../state/app.js";
import type { KeyTarget } from "../state/main-keys.js";

export function usePaneKeys(
  target: KeyTarget | "login" | "global",
  active: boolean,
  dispatch: Dispatch<AppAction>
): void {
  useKeys((ev) => dispatch({ type: "key", target, ev }), { isActive: active });
}
