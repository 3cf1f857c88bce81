// Scenario DSL (etcd-io/raft datadriven style) over the simulated world with a calm, fixed-delay
// network (1 ms) and 1 ms fsyncs. A file is a list of blocks: a command line, `----`, and the
// expected output (the notable events the command produced). REWRITE=1 regenerates outputs.
//
// Commands:
//   add-nodes N [exclusion=timed|hard] [seed=S] [snapshot=K] [record-violations]
//   tick <d>ms                     advance virtual time, running everything due
//   propose <n> <id>               a client command with request id <id> sent to node n
//   read <n> <id>                  a linearizable read (R24 ReadIndex) sent to node n
//   crash <n> [machine]            SIGKILL (page cache survives) or power loss (unsynced lost)
//   refuse-connect <n>             alias of crash: the liveness listener is gone (R7, A8)
//   restart <n>                    start a new incarnation (recovering)
//   load-state <n> <d>ms           n's host loads its state machine for d (refinement 22)
//   wipe <n>                       disk loss: down, then a fresh disk with a new storageId
//   corrupt <n> <i>                S4: damage record i on down node n's disk (before its last
//                                  intact batch marker); it restarts storage-faulted
//   recover-unclean <n>            R18's operator override (chat-cluster recover --unclean)
//   pause <n> [<d>ms]              SIGSTOP (resumed after d if given); resume <n>
//   block <a> <b> | block <a> <-> <b> | unblock <a> <b> | unblock all
//   stall-fsync <n> | unstall-fsync <n>
//   status | log <n> | check | heal | violations | trace on|off

import { describeEntry } from "../describe.js";
import type { ExclusionMode, NodeId } from "../types.js";
import { Violation } from "./checker.js";
import { describeNodes } from "./run.js";
import { NET_CALM, World } from "./world.js";

export interface Block {
  readonly command: string;
  readonly expected: string;
  readonly line: number;
}

export function parseScenario(text: string): { blocks: Block[]; preamble: string } {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let i = 0;
  const preamble: string[] = [];
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === "" || l.startsWith("#")) {
      if (blocks.length === 0) preamble.push(l);
      i++;
      continue;
    }
    const start = i;
    const command = l.trim();
    i++;
    if (lines[i]?.trim() !== "----")
      throw new Error(`line ${start + 1}: expected ---- after command`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== "") out.push(lines[i++]!);
    blocks.push({ command, expected: out.join("\n"), line: start + 1 });
  }
  return { blocks, preamble: preamble.join("\n") };
}

export function formatScenario(
  preamble: string,
  blocks: readonly { command: string; output: string }[]
): string {
  const parts = blocks.map((b) => `${b.command}\n----\n${b.output}${b.output === "" ? "" : "\n"}`);
  return (preamble.trim() === "" ? "" : `${preamble.trimEnd()}\n\n`) + parts.join("\n");
}

function durationMs(s: string | undefined): number {
  const m = /^(\d+)(ms|s)$/.exec(s ?? "");
  if (m === null) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

export class ScenarioRunner {
  private world: World | null = null;
  private out: string[] = [];
  private verbose = false;

  run(command: string): string {
    this.out = [];
    try {
      this.exec(command.split(/\s+/));
    } catch (e) {
      if (e instanceof Violation) this.out.push(`VIOLATION: ${e.message}`);
      else throw e;
    }
    return this.out.join("\n");
  }

  private w(): World {
    if (this.world === null) throw new Error("add-nodes first");
    return this.world;
  }

  private exec(args: string[]): void {
    const [cmd, ...rest] = args;
    const n = (k: number): NodeId => {
      const v = Number(rest[k]);
      if (!Number.isInteger(v)) throw new Error(`${cmd}: bad node ${rest[k]}`);
      return v;
    };
    switch (cmd) {
      case "add-nodes": {
        const opt = (name: string): string | undefined =>
          rest.find((r) => r.startsWith(`${name}=`))?.slice(name.length + 1);
        const world = new World({
          seed: Number(opt("seed") ?? "1"),
          nodeCount: n(0),
          exclusion: (opt("exclusion") ?? "timed") as ExclusionMode,
          net: NET_CALM,
          fsyncMsMin: 1,
          fsyncMsMax: 1,
          snapshotInterval: Number(opt("snapshot") ?? "10000"),
          localProbeFailureP: 0,
          trace: false,
        });
        world.checker.throwOnViolation = !rest.includes("record-violations");
        world.onNote = (line) => this.note(line);
        this.world = world;
        for (const node of world.nodes) world.start(node.id);
        return;
      }
      case "tick":
        this.w().runUntil(this.w().nowMs + durationMs(rest[0]));
        return;
      case "propose": {
        const id = rest[1] ?? "x";
        if (!this.w().propose(n(0), id, { v: id }, 0)) this.out.push(`n${n(0)} refused ${id}`);
        return;
      }
      case "read": {
        const id = rest[1] ?? "r";
        if (!this.w().read(n(0), id, 0)) this.out.push(`n${n(0)} refused ${id}`);
        return;
      }
      case "crash":
        this.w().crash(n(0), rest[1] === "machine");
        return;
      case "refuse-connect":
        this.w().crash(n(0), false);
        return;
      case "wipe":
        this.w().wipe(n(0));
        return;
      case "corrupt":
        if (!this.w().corrupt(n(0), Number(rest[1]))) this.out.push(`n${n(0)} not damaged`);
        return;
      case "recover-unclean":
        if (!this.w().recoverUnclean(n(0))) this.out.push(`n${n(0)} is down`);
        return;
      case "restart":
        this.w().start(n(0));
        return;
      case "load-state":
        this.w().loadState(n(0), durationMs(rest[1]!));
        return;
      case "pause": {
        const w = this.w();
        const id = n(0);
        w.pause(id);
        if (rest[1] !== undefined) {
          const gen = w.nodes[id]!.gen;
          w.schedule(w.nowMs + durationMs(rest[1]), () => {
            if (w.nodes[id]!.gen === gen) w.resume(id);
          });
        }
        return;
      }
      case "resume":
        this.w().resume(n(0));
        return;
      case "block":
      case "unblock": {
        const w = this.w();
        if (rest[0] === "all") {
          w.blocked.clear();
          return;
        }
        const both = rest[1] === "<->";
        const a = n(0);
        const b = n(both ? 2 : 1);
        const keys = both ? [`${a}>${b}`, `${b}>${a}`] : [`${a}>${b}`];
        for (const k of keys) {
          if (cmd === "block") w.blocked.add(k);
          else w.blocked.delete(k);
        }
        return;
      }
      case "stall-fsync":
        this.w().stallFsync(n(0), true);
        return;
      case "unstall-fsync":
        this.w().stallFsync(n(0), false);
        return;
      case "status":
        for (const part of describeNodes(this.w()).split(" | ")) this.out.push(part);
        return;
      case "log": {
        const node = this.w().nodes[n(0)]!;
        const r = node.replica;
        const img = node.storage.written;
        const entries = r !== null ? r.entries(1, r.status().lastIndex) : img.entries;
        this.out.push(`n${n(0)}: ${entries.map(describeEntry).join(" ")}`);
        return;
      }
      case "check":
        this.check();
        return;
      case "heal": {
        const w = this.w();
        w.blocked.clear();
        for (const node of w.nodes) {
          w.stallFsync(node.id, false);
          if (node.paused) w.resume(node.id);
          if (!node.up) w.start(node.id);
        }
        return;
      }
      case "violations":
        for (const v of this.w().checker.violations) this.out.push(`violation: ${v}`);
        if (this.w().checker.violations.length === 0) this.out.push("no violations");
        return;
      case "trace":
        this.verbose = rest[0] === "on";
        return;
      default:
        throw new Error(`unknown command ${cmd}`);
    }
  }

  private note(line: string): void {
    if (!this.verbose && /^n\d+ (start|pause|resume|crash|machine-crash)$/.test(line)) return;
    this.out.push(`t=${this.w().nowMs} ${line}`);
  }

  /** §5.1 #1: every acked command is applied on every up node that is current. */
  private check(): void {
    const w = this.w();
    let ok = true;
    for (const [requestId, index] of w.checker.acked) {
      for (const node of w.nodes) {
        const role = node.replica?.status().role;
        if (role !== "primary" && role !== "backup") continue;
        if (!node.sm.seen.has(requestId) && node.sm.index >= index) {
          this.out.push(`LOST: ${requestId} acked at ${index} missing on n${node.id}`);
          ok = false;
        }
      }
    }
    if (ok) this.out.push(`ok: ${w.checker.acked.size} acked, none lost`);
  }
}
