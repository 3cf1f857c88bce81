// Test helper: a state plus a log cursor (index, ts) and short ways to build commands.
// Password hashes are `hash:<password>` and token hashes `token:<n>`: the node's scrypt
// and random tokens are not this package's business.

import { applyCommand } from "../apply.js";
import type { Command, CommandOutcome, CommandResults } from "../commands.js";
import { checkInvariants } from "../invariants.js";
import { createState, type ChatState } from "../state.js";

export class World {
  readonly state: ChatState = createState();
  index = 0;
  ts = 1_000;
  private counter = 0;

  fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter}`;
  }

  /** Applies at the next index, `advanceMs` of log time later; checks every invariant. */
  apply<C extends Command>(command: C, advanceMs = 1): CommandOutcome<C["kind"]> {
    this.index += 1;
    this.ts += advanceMs;
    const outcome = applyCommand(this.state, command, { index: this.index, ts: this.ts });
    checkInvariants(this.state);
    return outcome;
  }

  /** Applies and asserts success; returns the value. */
  must<C extends Command>(command: C, advanceMs = 1): CommandResults[C["kind"]] {
    const outcome = this.apply(command, advanceMs);
    if (!outcome.ok) throw new Error(`${command.kind} failed: ${outcome.error.message}`);
    return outcome.value as CommandResults[C["kind"]];
  }

  /** Registers and returns the session's token hash. */
  register(username: string, password = `pw-${username}`): string {
    const tokenHash = this.fresh("token");
    this.must(registerCmd(this.fresh("req"), username, password, tokenHash));
    return tokenHash;
  }

  login(username: string, password = `pw-${username}`): string {
    const tokenHash = this.fresh("token");
    this.must({
      kind: "login",
      requestId: this.fresh("req"),
      username,
      passwordHash: `hash:${password}`,
      tokenHash,
    });
    return tokenHash;
  }

  sendCmd(
    tokenHash: string,
    to: string,
    text: string,
    clientMsgId = this.fresh("c")
  ): Command & { kind: "send" } {
    return {
      kind: "send",
      requestId: this.fresh("req"),
      tokenHash,
      to,
      text,
      clientMsgId,
      messageId: this.fresh("m"),
      sentAtMs: 1_700_000_000_000 + this.index,
    };
  }

  send(tokenHash: string, to: string, text: string): number {
    return this.must(this.sendCmd(tokenHash, to, text)).message.seq;
  }

  markRead(tokenHash: string, peer: string, upToSeq: number): CommandResults["mark-read"] {
    return this.must({ kind: "mark-read", requestId: this.fresh("req"), tokenHash, peer, upToSeq });
  }
}

export function registerCmd(
  requestId: string,
  username: string,
  password: string,
  tokenHash: string
): Command & { kind: "register" } {
  return { kind: "register", requestId, username, passwordHash: `hash:${password}`, tokenHash };
}
