// Every bound the chat state machine enforces, in one place (STYLE habit 5: a limit on
// everything). Lengths count Unicode code points unless the name says ASCII. Units last.

/** Usernames: 1-32 of `a-z 0-9 _ . -` after lower-casing. */
export const usernameLengthMin = 1;
export const usernameLengthMax = 32;

/** Passwords, in code points. Only the node sees them; state keeps a scrypt hash. */
export const passwordLengthMin = 8;
export const passwordLengthMax = 256;

/** Message text, in code points. */
export const textLengthMin = 1;
export const textLengthMax = 4096;

/** Printable-ASCII identifiers: client_msg_id, chat-request-id, message id. */
export const clientMsgIdLengthMax = 64;
export const requestIdLengthMax = 64;
export const messageIdLengthMax = 64;

/** Password and token hashes the node puts into commands (printable ASCII). */
export const hashLengthMax = 512;

/** ListUsers wildcard pattern. */
export const patternLengthMax = 64;

/** Page sizes: 0 asks for the default; more than the max is clamped to it. */
export const listUsersLimitDefault = 100;
export const listUsersLimitMax = 1000;
export const historyLimitDefault = 50;
export const historyLimitMax = 500;

/**
 * Dedup entries (request ids and (sender, client_msg_id)) live this long in log time. R21
 * asks for ≥ 10 × the client's overall deadline (10 s, R22): 120 s, with 20 s to spare. It was
 * 15 min: at ~1,800 sends/s that kept 1.6M entries per table (capped at 1M), which a restart
 * must load; 120 s keeps ~216k.
 */
export const dedupRetainMs = 120 * 1000;
/** Login sessions live this long in log time from their creation. */
export const sessionTtlMs = 30 * 24 * 60 * 60 * 1000;

/** A login beyond this many live sessions of one account revokes its oldest session. */
export const sessionsPerAccountMax = 100;
/** Dedup tables never grow past these; the oldest entry is evicted first. */
export const requestDedupEntriesMax = 1_000_000;
export const sendDedupEntriesMax = 1_000_000;
