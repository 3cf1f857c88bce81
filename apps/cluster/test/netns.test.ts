// Three hosts that are really apart (issue 8): one node in each of three network namespaces
// and a client in a fourth, joined by veth pairs to a bridge in a fifth ("the switch"), with
// addresses from 198.18.0.0/15 (benchmarking range) that exist only inside them and no route
// out, so no packet leaves the machine. TLS is on. The client chats, the primary's process is
// killed, and the client rebinds and delivers with nothing lost. Skipped (with the reason)
// where namespaces cannot be created (not root, no iproute2, no CAP_SYS_ADMIN).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { issueCertificates } from "../src/launcher/certs.js";

const tag = `ct${randomBytes(2).toString("hex")}`;
const hub = `${tag}-hub`;
const hosts = [0, 1, 2].map((id) => ({ id, ns: `${tag}-n${id}`, ip: `198.18.0.${id + 1}` }));
const clientHost = { ns: `${tag}-c`, ip: "198.18.0.100" };
const nodeEntry = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const clientEntry = fileURLToPath(new URL("./netns-client.ts", import.meta.url));

function ip(args: string[]): { ok: boolean; err: string } {
  const run = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  return { ok: run.status === 0, err: (run.stderr || run.error?.message || "").trim() };
}

function must(args: string[]): void {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.err}`);
}

/** Why namespaces cannot be used here, or undefined if they can. */
function unavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network namespaces need root";
  const probe = ip(["netns", "add", `${tag}-probe`]);
  if (!probe.ok) return `cannot create a network namespace (${probe.err || "ip missing"})`;
  ip(["netns", "del", `${tag}-probe`]);
  return undefined;
}

function teardown(): void {
  for (const ns of [hub, clientHost.ns, ...hosts.map((h) => h.ns)]) ip(["netns", "del", ns]);
}

/** The switch namespace with a bridge, and every host's eth0 plugged into it. */
function buildNetwork(): void {
  must(["netns", "add", hub]);
  must(["-n", hub, "link", "add", "br0", "type", "bridge"]);
  must(["-n", hub, "link", "set", "br0", "up"]);
  for (const [i, host] of [...hosts, clientHost].entries()) {
    must(["netns", "add", host.ns]);
    must(["-n", hub, "link", "add", `p${i}`, "type", "veth", "peer", "name", "eth0", "netns", host.ns]);
    must(["-n", hub, "link", "set", `p${i}`, "master", "br0", "up"]);
    must(["-n", host.ns, "addr", "add", `${host.ip}/24`, "dev", "eth0"]);
    must(["-n", host.ns, "link", "set", "eth0", "up"]);
    must(["-n", host.ns, "link", "set", "lo", "up"]);
  }
}

function writeConfig(root: string): string {
  const nodes = issueCertificates(join(root, "tls"), hosts.map((h) => ({ id: h.id, host: h.ip })))
    .map((n) => ({ id: n.id, address: `${n.host}:50051`, tls: n.tls }));
  const path = join(root, "cluster.json");
  writeFileSync(path, JSON.stringify({ clusterId: "netns", secret: randomBytes(18).toString("base64url"), nodes }),
    { mode: 0o600 });
  return path;
}

function startNode(root: string, config: string, host: (typeof hosts)[number]): ChildProcess {
  const out = openSync(join(root, `node-${host.id}.log`), "a");
  try {
    // `ip netns exec` execs node in place: the child's pid is the node's.
    return spawn("ip", ["netns", "exec", host.ns, process.execPath, nodeEntry, "node", "--id", String(host.id),
      "--config", config, "--data-dir", join(root, `node-${host.id}`)], { stdio: ["ignore", out, out] });
  } finally {
    closeSync(out);
  }
}

test("three namespaces, TLS: the client rebinds after the primary's host process dies, nothing lost", async (t) => {
  const why = unavailable();
  if (why) {
    t.skip(`skipped: ${why}`);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), "chat-netns-"));
  const nodes: ChildProcess[] = [];
  let client: ChildProcess | undefined;
  process.once("exit", teardown);
  try {
    buildNetwork();
    const route = spawnSync("ip", ["-n", clientHost.ns, "route", "get", "1.1.1.1"], { encoding: "utf8" });
    assert.notEqual(route.status, 0, "the client namespace must have no route out");
    const config = writeConfig(root);
    for (const host of hosts) nodes.push(startNode(root, config, host));
    const cluster = hosts.map((h) => `${h.ip}:50051`).join(",");
    client = spawn("ip", ["netns", "exec", clientHost.ns, process.execPath, "--import", "tsx", clientEntry, cluster], {
      stdio: ["pipe", "pipe", "inherit"], cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, CHAT_TLS_CA: join(root, "tls", "ca.pem") },
    });
    const lines = createInterface({ input: client.stdout! });
    let before = -1;
    const done = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the client did not finish in 90 s")), 90_000);
      lines.on("line", (line) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.phase === "kill") {
          before = event.primary as number;
          nodes[before]!.kill("SIGKILL");
          client!.stdin!.write("killed\n");
        } else {
          clearTimeout(timer);
          resolve(event);
        }
      });
    });
    assert.equal(done.phase, "done", String(done.error));
    assert.notEqual(done.after, before, "a new primary serves after the kill");
    const { acked, delivered } = done as { acked: number; delivered: number };
    assert.ok(acked >= 40 && delivered >= acked, JSON.stringify(done));
    console.log(`three namespaces: acked ${acked}, delivered ${delivered}, primary ${before} → ${done.after}, `
      + `longest gap between acks ${done.gapMs} ms`);
  } catch (err) {
    for (const h of hosts) {
      try {
        const log = readFileSync(join(root, `node-${h.id}.log`), "utf8").split("\n").slice(-15).join("\n");
        console.error(`--- node ${h.id} ---\n${log}`);
      } catch {
        // no log
      }
    }
    throw err;
  } finally {
    client?.kill("SIGKILL");
    for (const n of nodes) n.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    teardown();
    rmSync(root, { recursive: true, force: true });
  }
});
