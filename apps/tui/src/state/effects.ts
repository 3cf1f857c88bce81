// What the pure state machine asks the outside world to do. The reducers return these; the
// effect runner (hooks/effect-runner.ts) performs them against the ChatClient and feeds the
// outcome back as actions. Nothing here touches I/O.

export type Effect =
  | { kind: "login"; mode: "login" | "register"; username: string; password: string }
  | { kind: "start-events" }
  | { kind: "stop-events" }
  | { kind: "search-users"; pattern: string }
  | { kind: "load-history"; peer: string; beforeSeq: number | undefined }
  | { kind: "send"; clientMsgId: string; to: string; text: string }
  | { kind: "mark-read"; peer: string; upToSeq: number }
  | { kind: "logout" }
  | { kind: "delete-account"; confirmUsername: string }
  | { kind: "bell" }
  | { kind: "quit" };

/** What a step may read from the world: the time and fresh ids (injected, so tests are exact). */
export interface StepEnv {
  nowMs: number;
  newId(): string;
}

export type Step<S> = [S, Effect[]];
