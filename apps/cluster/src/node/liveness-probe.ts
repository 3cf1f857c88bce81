// Liveness of a peer's process (R7), from its liveness port. One TCP connection per peer is
// kept open: a probe on a live connection costs no connect (and writes one byte a second, which
// a peer host that rebooted answers with a reset); a connection that closes means the process may be gone,
// so the owner hears `lost` at once (a killed process's sockets close within milliseconds);
// a probe without a connection makes a fresh connect, whose `refused` is hard evidence that
// the process is gone (a node exits when its liveness listener closes). `ok` proves nothing
// (a SIGSTOPped process still accepts); `timeout` and `local-failure` prove nothing either.
import net from "node:net";

export type ProbeOutcome = "ok" | "refused" | "timeout" | "local-failure";

/** A kept connection that closes sooner was dropped by the listener, not by a process exit. */
const keptConnectionLivedMs = 1_000;
/** How often a kept connection is written to (only a rebooted peer host answers a write). */
const livenessWriteGapMs = 1_000;

export class LivenessLink {
  private socket: net.Socket | undefined;
  private connecting: Promise<ProbeOutcome> | undefined;
  private closed = false;
  private wroteAtMs = -Infinity;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** The kept connection closed (not by us): probe now. `lived` is false when it closed
     *  within a second of opening (a full listener drops new connections): then the caller's
     *  usual rate limit should apply, or a full listener would make us reconnect in a loop. */
    private readonly onLost: (lived: boolean) => void,
  ) {}

  probe(timeoutMs: number): Promise<ProbeOutcome> {
    if (this.closed) return Promise.resolve("local-failure");
    if (this.socket) {
      const now = performance.now();
      if (now - this.wroteAtMs >= livenessWriteGapMs) {
        this.wroteAtMs = now;
        this.socket.write("p");
      }
      return Promise.resolve("ok");
    }
    this.connecting ??= this.connect(timeoutMs).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(timeoutMs: number): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
      const timer = setTimeout(() => settle("timeout"), timeoutMs);
      const settle = (outcome: ProbeOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome === "ok" && !this.closed) this.keep(socket);
        else socket.destroy();
        resolve(outcome);
      };
      socket.once("connect", () => settle("ok"));
      socket.once("error", (err: NodeJS.ErrnoException) =>
        settle(err.code === "ECONNREFUSED" ? "refused" : err.code === "ETIMEDOUT" ? "timeout" : "local-failure"));
    });
  }

  private keep(socket: net.Socket): void {
    this.socket = socket;
    const keptAt = performance.now();
    socket.on("data", () => undefined); // an older listener greets with a byte
    socket.on("error", () => socket.destroy());
    const lost = (): void => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      socket.destroy();
      if (!this.closed) this.onLost(performance.now() - keptAt >= keptConnectionLivedMs);
    };
    // The peer's end (FIN) is read before the socket's close is reported: act on the first.
    socket.once("end", lost);
    socket.once("close", lost);
  }
}
