// The one place the TUI gets its ChatClient: the cluster SDK.
//
// Test hook: CHAT_TUI_FAKE=1 returns the in-memory fake chat (src/testing/fake-client.ts,
// a few users and a "bob" who answers) instead — used by the pseudo-terminal E2E test and
// for trying the UI without a cluster. It is never loaded unless that variable is set.
import type { ChatClient } from "./client-port.js";

/** `tlsCa`: the path of the CA to trust (TLS); plain text without one. */
export async function createClient(clusterList: string[], tlsCa?: string): Promise<ChatClient> {
  if (process.env.CHAT_TUI_FAKE === "1") {
    const { demoChat } = await import("./testing/fake-client.js");
    return demoChat().connect();
  }
  const { connect } = await import("@chat-tui/client");
  return connect({ cluster: clusterList, tlsCa });
}
