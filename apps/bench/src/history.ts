// The nemesis history: one JSON record a line, in the order the harness observed them.
// `t` is milliseconds since the run started, from the harness's monotonic clock.

/** A message as a client saw it (the SDK's Message minus what the checker does not need). */
export interface SeenMessage {
  seq: number;
  from: string;
  to: string;
  text: string;
  clientMsgId: string;
}

export type HistoryRecord =
  /** A send was invoked; `key` is its client_msg_id (one per logical send, kept across retries). */
  | { kind: "invoke"; t: number; client: string; key: string; to: string; text: string }
  /** Acknowledged, with the committed message's seq. */
  | { kind: "ok"; t: number; client: string; key: string; seq: number }
  /** Definitely not applied (a final, non-retryable error). */
  | { kind: "fail"; t: number; client: string; key: string; error: string }
  /** Indeterminate (gave up retrying): applied 0 or 1 times. */
  | { kind: "info"; t: number; client: string; key: string; error: string }
  /** `events()` of `client` yielded this message (in yield order). */
  | { kind: "event"; t: number; client: string; message: SeenMessage }
  /** `events()` of `client` ended with an error and was resumed from its cursor. */
  | { kind: "event-error"; t: number; client: string; error: string }
  /** An acknowledged Register/Login's session was refused later (`unauthenticated`); re-logged in. */
  | { kind: "session-lost"; t: number; client: string; error: string }
  /** What the nemesis did. */
  | { kind: "nemesis"; t: number; op: string; nodes: number[] }
  /** The faults stopped (heal): availability is measured up to here. */
  | { kind: "heal"; t: number }
  /** After convergence: every message to or from `client`, from `history` with each peer. */
  | { kind: "final-read"; t: number; client: string; messages: SeenMessage[] }
  /** After convergence: what each node says of itself. */
  | { kind: "replica"; t: number; id: number; role: string; lastIndex: number; commitIndex: number;
      /** A hash of the node's applied state at `appliedIndex` (absent in older histories). */
      appliedIndex?: number; digest?: string };

export function toJsonl(records: readonly HistoryRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** The records of a history file's text; a line that is not JSON is named (`source` line N). */
export function parseJsonl(text: string, source = "history"): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as HistoryRecord);
    } catch (err) {
      throw new Error(`${source} line ${i + 1} is not JSON (${(err as Error).message})`);
    }
  }
  return records;
}
