// The client SDK against real node processes (issue 4): sends and event streams across the
// kill of two successive primaries and across a paused primary; a client started while a node
// is down, and while no node is up at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, ChatError } from "@chat-tui/client";
import { TestCluster } from "../src/testing/harness.js";
import { Workload } from "./workload.js";

test("two successive primaries killed under load: exactly once, in order, gap printed", async () => {
  await TestCluster.with(3, {}, async (c) => {
    const w = await Workload.start(c.addresses, 3, "sk");
    await w.progress(30);
    const first = await c.waitForPrimary();
    await c.signal(first.primaryId, "SIGKILL");
    await w.progress(20);
    const second = await c.waitForPrimary();
    assert.notEqual(second.primaryId, first.primaryId);
    await c.signal(second.primaryId, "SIGKILL");
    await w.progress(20);
    const report = await w.stopAndCheck();
    console.log(`two primaries killed: acked ${report.acked}, failed ${report.failed}, delivered ${report.delivered}, `
      + `longest gap between acks ${report.gapMs} ms`);
  });
});

test("a paused primary mid-stream, resumed later: exactly once, in order", async () => {
  await TestCluster.with(3, {}, async (c) => {
    const w = await Workload.start(c.addresses, 2, "sp");
    await w.progress(20);
    const { primaryId } = await c.waitForPrimary();
    await c.signal(primaryId, "SIGSTOP");
    await w.progress(20);
    await c.signal(primaryId, "SIGCONT");
    await w.progress(20);
    const report = await w.stopAndCheck();
    console.log(`paused primary: acked ${report.acked}, longest gap ${report.gapMs} ms`);
  });
});

test("a client started while a node is down, and while no node is up", async () => {
  await TestCluster.with(3, {}, async (c) => {
    const { primaryId } = await c.waitForPrimary();
    const backup = [0, 1, 2].find((id) => id !== primaryId)!;
    await c.signal(backup, "SIGKILL");
    const early = connect({ cluster: c.addresses, deadlineMs: 10_000 });
    await early.register("early", "password1");
    assert.equal(early.username, "early");
    early.close();

    for (const id of [0, 1, 2]) await c.signal(id, "SIGKILL");
    const hopeless = connect({ cluster: c.addresses, deadlineMs: 1_500 });
    const err = await hopeless.login("early", "password1").then(() => undefined, (e: unknown) => e);
    hopeless.close();
    assert.ok(err instanceof ChatError, String(err));
    assert.equal(err.kind, "unavailable");
    assert.match(err.message, /cluster unavailable: no primary after/);

    const patient = connect({ cluster: c.addresses, deadlineMs: 20_000 });
    const pending = patient.login("early", "password1");
    await new Promise((r) => setTimeout(r, 500));
    for (const id of [0, 1, 2]) c.startNode(id);
    const session = await pending;
    assert.equal(session.username, "early");
    patient.close();
  });
});
