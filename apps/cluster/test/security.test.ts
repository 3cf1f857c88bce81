// Security of one node over real gRPC (issue 8): login throttling, the per-user send rate, the
// per-connection stream limit, secrets at rest (no password or token bytes in the data dir or
// the logs after a scripted session), file modes, and a node that refuses a readable secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { PlainClient, rejection, collectMessages, singleNode } from "./plain-client.js";
import { sendBurstPerUser, streamsPerConnectionMax } from "../src/limits.js";

const fixture = singleNode();
const client = fixture.client;

async function registered(name: string, password: string): Promise<PlainClient> {
  const c = client();
  const res = await c.call("Register", { username: name, password });
  c.token = res.token as string;
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("5 wrong passwords in a minute: the next login is refused even when right, and works after the wait", async () => {
  await registered("tess", "right password");
  const c = client();
  for (let i = 0; i < 5; i++) {
    const err = await rejection(c.call("Login", { username: "tess", password: `wrong password ${i}` }));
    assert.equal(err.code, grpc.status.UNAUTHENTICATED, err.details);
  }
  const locked = await rejection(c.call("Login", { username: "tess", password: "right password" }));
  assert.equal(locked.code, grpc.status.RESOURCE_EXHAUSTED);
  const seconds = Number(/try again in (\d+) s/.exec(locked.details)?.[1]);
  assert.ok(seconds >= 1 && seconds <= 2, locked.details);
  await sleep(seconds * 1000 + 100);
  const res = await c.call("Login", { username: "tess", password: "right password" });
  assert.equal(res.username, "tess");
  // The success started the count over: one more wrong password is a plain UNAUTHENTICATED.
  const wrong = await rejection(c.call("Login", { username: "tess", password: "wrong again" }));
  assert.equal(wrong.code, grpc.status.UNAUTHENTICATED);
});

test("sending faster than the per-user rate is refused with RESOURCE_EXHAUSTED, others are unaffected", async () => {
  const fast = await registered("fast", "fast password");
  const other = await registered("other", "other password");
  const sends = await Promise.allSettled(Array.from({ length: sendBurstPerUser * 2 }, (_, i) =>
    fast.call("SendMessage", { to: "other", text: `m${i}`, client_msg_id: `f${i}` })));
  const refused = sends.filter((s) => s.status === "rejected")
    .map((s) => (s as PromiseRejectedResult).reason as grpc.ServiceError);
  assert.ok(refused.length > 0, "the burst above the limit must be refused");
  for (const err of refused) assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED, err.details);
  assert.match(refused[0]!.details, /messages\/s/);
  await other.call("SendMessage", { to: "fast", text: "still fine", client_msg_id: "o1" });
});

test("more Subscribe streams than the per-connection limit on one connection: the extra one is refused", async () => {
  const c = await registered("streamer", "stream password");
  const streams = Array.from({ length: streamsPerConnectionMax }, () => c.subscribe(0));
  for (const s of streams) s.on("error", () => undefined);
  await Promise.all(streams.map((s) => new Promise((resolve) => s.once("data", resolve))));
  const extra = c.subscribe(0);
  const status = await new Promise<grpc.StatusObject>((resolve) => {
    extra.on("error", () => undefined);
    extra.on("status", resolve);
  });
  assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
  for (const s of streams) s.cancel();
  // Clients of this file share one connection: wait until the node has counted the cancels.
  for (let attempt = 0; ; attempt++) {
    const probe = c.subscribe(0);
    const ok = await new Promise<boolean>((resolve) => {
      probe.on("error", () => resolve(false));
      probe.once("data", () => resolve(true));
    });
    probe.cancel();
    if (ok) break;
    assert.ok(attempt < 50, "the cancelled streams were never released");
    await sleep(100);
  }
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test("no password or token bytes reach the data dir or the logs; revoked and truncated tokens are refused; "
  + "the data dir is 0700, secrets 0600", async () => {
  const password = "Sup3r-Secret-Passw0rd";
  const alice = await registered("redact-a", password);
  const bob = await registered("redact-b", `${password}-b`);
  const login = await client().call("Login", { username: "redact-a", password });
  const tokens = [alice.token, bob.token, login.token as string];
  const inbox = bob.subscribe(0);
  await alice.call("SendMessage", { to: "redact-b", text: "hello", client_msg_id: "r1" });
  await collectMessages(inbox, 1);
  inbox.cancel();
  await alice.call("Logout", {});
  await rejection(client().call("Login", { username: "redact-a", password: "wrong and logged?" }));
  // Revoked (logged out) and truncated tokens are refused.
  const revoked = await rejection(alice.call("ListUsers", { pattern: "" }));
  assert.equal(revoked.code, grpc.status.UNAUTHENTICATED);
  const truncated = client();
  truncated.token = (login.token as string).slice(0, -4);
  assert.equal((await rejection(truncated.call("ListUsers", { pattern: "" }))).code, grpc.status.UNAUTHENTICATED);

  const node = fixture.cluster().node(0);
  const haystacks = [...filesUnder(node.dataDir), node.logFile];
  for (const file of haystacks) {
    const bytes = readFileSync(file);
    for (const secret of [password, `${password}-b`, "wrong and logged?", ...tokens]) {
      assert.equal(bytes.includes(secret), false, `${file} contains a secret`);
    }
  }
  assert.equal(statSync(node.dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(fixture.cluster().configPath).mode & 0o777, 0o600);
});

test("a node refuses to start, in one line, on a cluster file others can read", () => {
  const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
  chmodSync(fixture.cluster().configPath, 0o644);
  try {
    const run = spawnSync(process.execPath, [main, "node", "--id", "0", "--config", fixture.cluster().configPath,
      "--data-dir", join(fixture.cluster().root, "refused")], { encoding: "utf8", timeout: 10_000 });
    assert.equal(run.status, 1);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /readable by others \(mode 644\); run: chmod 600/);
  } finally {
    chmodSync(fixture.cluster().configPath, 0o600);
  }
});


test("GetStatus with_digest (a pass over the whole state) needs the cluster secret", async () => {
  const c = client();
  const secret = (JSON.parse(readFileSync(fixture.cluster().configPath, "utf8")) as { secret: string }).secret;
  const refused = await rejection(c.call("GetStatus", { with_digest: true }, {}, c.cluster));
  assert.equal(refused.code, grpc.status.PERMISSION_DENIED);
  const plain = await c.call("GetStatus", {}, {}, c.cluster);
  assert.equal(plain.state_digest, "");
  const status = await c.call("GetStatus", { with_digest: true }, { "chat-cluster-secret": secret }, c.cluster);
  assert.match(status.state_digest as string, /^[0-9a-f]{16}$/);
});

test("Register of a taken name never tells whether the password was right (no commit, no hash)", async () => {
  const c = await registered("taken", "the right password");
  const commitIndex = async (): Promise<number> => {
    const status = await c.call("GetStatus", {}, {}, c.cluster);
    return Number((status.nodes as { commit_index: number }[])[0]!.commit_index);
  };
  const before = await commitIndex();
  for (const password of ["the right password", "a wrong password"]) {
    const err = await rejection(client().call("Register", { username: "taken", password },
      { "chat-request-id": `guess-${password.length}` }));
    assert.equal(err.code, grpc.status.ALREADY_EXISTS, err.details);
  }
  assert.equal(await commitIndex(), before, "a guess must not reach the log");
});
