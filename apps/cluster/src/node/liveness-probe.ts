// A fresh TCP connect to a peer's liveness port (R7): `refused` is hard evidence that the
// process is gone (a node exits when its liveness listener closes); `ok` means a listener
// accepted (a SIGSTOPped process still accepts); `timeout` and `local-failure` prove nothing.
import net from "node:net";

export type ProbeOutcome = "ok" | "refused" | "timeout" | "local-failure";

export function probeLiveness(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.once("connect", () => finish("ok"));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      finish(err.code === "ECONNREFUSED" ? "refused" : err.code === "ETIMEDOUT" ? "timeout" : "local-failure"));
  });
}
