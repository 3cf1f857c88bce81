// LivenessLink (R7): a kept connection answers probes without a connect, its close is heard at
// once, and a probe without one connects afresh (refused = the process is gone).
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { LivenessLink } from "./liveness-probe.js";

async function listener(): Promise<{ port: number; accepted: net.Socket[]; close(): Promise<void> }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accepted,
    close: () => new Promise((r) => {
      for (const s of accepted) s.destroy();
      server.close(() => r());
    }),
  };
}

test("a kept connection answers probes without connecting again; its close is heard at once", async () => {
  const peer = await listener();
  let lost = 0;
  let lived: boolean | undefined;
  const link = new LivenessLink("127.0.0.1", peer.port, (l) => {
    lost += 1;
    lived = l;
  });
  try {
    assert.equal(await link.probe(500), "ok");
    for (let i = 0; i < 5; i++) assert.equal(await link.probe(500), "ok");
    assert.equal(peer.accepted.length, 1, "one connection for six probes");
    const t0 = performance.now();
    await peer.close(); // the peer process is gone: its sockets close, its port refuses
    while (lost === 0 && performance.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 1));
    assert.equal(lost, 1, "the close was heard");
    assert.equal(lived, false, "it closed within a second of opening (as a full listener would)");
    assert.equal(await link.probe(500), "refused", "a fresh connect is refused");
  } finally {
    link.close();
  }
});

test("concurrent probes share one connect; close() ends the link without a lost signal", async () => {
  const peer = await listener();
  let lost = 0;
  const link = new LivenessLink("127.0.0.1", peer.port, () => (lost += 1));
  const outcomes = await Promise.all([link.probe(500), link.probe(500), link.probe(500)]);
  assert.deepEqual(outcomes, ["ok", "ok", "ok"]);
  assert.equal(peer.accepted.length, 1);
  link.close();
  assert.equal(await link.probe(500), "local-failure");
  await peer.close();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(lost, 0);
});

test("a kept connection that lived a second reports its close as a process exit", async () => {
  const peer = await listener();
  let lived: boolean | undefined;
  const link = new LivenessLink("127.0.0.1", peer.port, (l) => (lived = l));
  try {
    assert.equal(await link.probe(500), "ok");
    await new Promise((r) => setTimeout(r, 1_050));
    await peer.close();
    const t0 = performance.now();
    while (lived === undefined && performance.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 1));
    assert.equal(lived, true);
  } finally {
    link.close();
  }
});
