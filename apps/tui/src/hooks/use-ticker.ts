// A once-a-second `tick` while something on screen counts down (the offline retry).
import { useEffect, type Dispatch } from "react";
import type { AppAction } from "../state/app.js";

export const tickMs = 1_000;

export function useTicker(active: boolean, dispatch: Dispatch<AppAction>): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => dispatch({ type: "tick" }), tickMs);
    return () => clearInterval(timer);
  }, [active, dispatch]);
}
