// What the storage layer knows about a log entry: its position. The replication layer owns
// everything else in it.

export interface LogEntry {
  readonly index: number;
  readonly epoch: number;
}

/** A point in the log: the entry at `index` has epoch `epoch` (a snapshot's, for example). */
export interface LogPosition {
  readonly index: number;
  readonly epoch: number;
}

/** An entry already serialised by the caller; `json` must start `{"index":I,"epoch":E`. */
export interface RawEntry {
  readonly index: number;
  readonly epoch: number;
  readonly json: string;
}
