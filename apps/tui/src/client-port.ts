// The contract of @chat-tui/client as the TUI sees it: types only. The app recognises errors
// by their `kind` (see format/errors.ts), never by `instanceof`, so the in-memory fake used by
// tests and the real SDK are interchangeable.
export type {
  ChatClient,
  ChatError,
  ChatErrorKind,
  ClusterState,
  ConnectionState,
  ConnectOptions,
  Message,
  NodeRole,
  NodeState,
  Session,
  UserEntry,
} from "@chat-tui/client";
