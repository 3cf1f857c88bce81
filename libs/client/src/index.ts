// @chat-tui/client: the cluster-aware chat SDK. Finds the primary, follows it across
// failovers, retries with idempotency keys and resumes the event stream from a cursor.
export { connect, type ChatClient, type ConnectOptions } from "./client.js";
export type { Message, Session, UserEntry, NodeRole } from "./codec.js";
export type { ClusterState, ConnectionState, NodeState } from "./cluster-view.js";
export { ChatError, describeError, type ChatErrorKind } from "./errors.js";
export { parseClusterList, resolveClusterList } from "./cluster-list.js";
