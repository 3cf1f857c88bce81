// The two error kinds the storage layer raises on purpose. Anything else it throws is a bug.

/**
 * A write, fsync, rename or truncate failed (S2). The process must exit (crash-stop) and
 * recover from disk on restart: never retry an fsync, the kernel may have dropped the dirty
 * pages and would report success the second time (fsyncgate).
 */
export class StorageFatalError extends Error {
  readonly kind = "storage-fatal";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StorageFatalError";
  }
}

/**
 * The log holds corruption before its last intact batch marker (S4). It serves its intact
 * prefix but refuses appends until it is reset from a snapshot or from peers (R20).
 */
export class StorageFaultedError extends Error {
  readonly kind = "storage-faulted";
  constructor(message: string) {
    super(message);
    this.name = "StorageFaultedError";
  }
}

export function fatal(what: string, cause: unknown): StorageFatalError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StorageFatalError(`${what}: ${detail} (the process must exit)`, { cause });
}
