// A tiny store around the pure step function: it holds the state, runs actions one at a time
// (an action dispatched while another runs is queued, so effects never re-enter a step), and
// hands the effects of each step to whoever performs them.
import type { Effect, Step, StepEnv } from "./effects.js";

export interface Store<S, A> {
  getState(): S;
  dispatch(action: A): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<S, A>(
  initial: S,
  step: (state: S, action: A, env: StepEnv) => Step<S>,
  env: () => StepEnv,
  perform: (effects: Effect[]) => void
): Store<S, A> {
  let state = initial;
  const listeners = new Set<() => void>();
  const queue: A[] = [];
  let running = false;
  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispatch(action) {
      queue.push(action);
      if (running) return;
      running = true;
      try {
        while (queue.length > 0) {
          const [next, effects] = step(state, queue.shift() as A, env());
          const changed = next !== state;
          state = next;
          if (changed) for (const l of listeners) l();
          if (effects.length > 0) perform(effects);
        }
      } finally {
        running = false;
      }
    },
  };
}

/** The real world's env: wall clock and random UUIDs for clientMsgId. */
export function systemEnv(): StepEnv {
  return { nowMs: Date.now(), newId: () => globalThis.crypto.randomUUID() };
}
