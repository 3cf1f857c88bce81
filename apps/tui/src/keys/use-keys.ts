// The one way components read the keyboard: like Ink's `useInput`, gated by `isActive` (the
// focus), but fed through our decoder (parse-keys.ts) so chunked input, Backspace vs Delete
// and pastes behave. It listens to the raw input events Ink's App emits on its stdin
// context (typed in Ink 6.8's StdinContext as `internal_eventEmitter`).
import { useStdin } from "ink";
import { useEffect, useRef } from "react";
import { createKeyDecoder, type KeyEvent } from "./parse-keys.js";

export function useKeys(handler: (ev: KeyEvent) => void, options: { isActive: boolean }): void {
  const { internal_eventEmitter: emitter, setRawMode, isRawModeSupported } = useStdin();
  const latest = useRef(handler);
  latest.current = handler;
  const { isActive } = options;

  useEffect(() => {
    if (!isActive || !isRawModeSupported) return;
    setRawMode(true);
    return () => setRawMode(false);
  }, [isActive, isRawModeSupported, setRawMode]);

  useEffect(() => {
    if (!isActive) return;
    const decoder = createKeyDecoder();
    const onInput = (raw: string): void => {
      for (const ev of decoder.push(raw)) latest.current(ev);
    };
    emitter.on("input", onInput);
    return () => {
      emitter.off("input", onInput);
    };
  }, [isActive, emitter]);
}
