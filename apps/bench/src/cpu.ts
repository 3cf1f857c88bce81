// CPU time spent by each process of a run (utime + stime from /proc, and this process's own
// cpuUsage), so the bench can report CPU per acknowledged send: a figure that, unlike sends/s,
// does not move much when other work shares the machine.
import { readFileSync } from "node:fs";

const ticksPerSec = 100; // USER_HZ on Linux

/** CPU ms a process has used so far, or undefined when /proc cannot tell (not Linux, gone). */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime + stime) ? ((utime + stime) * 1000) / ticksPerSec : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuSample {
  /** Per node id: CPU ms used so far. */
  nodes: Map<number, number | undefined>;
  /** This process (the load generator). */
  selfMs: number;
}

export function sampleCpu(pids: Map<number, number | undefined>): CpuSample {
  const nodes = new Map<number, number | undefined>();
  for (const [id, pid] of pids) nodes.set(id, pid === undefined ? undefined : cpuMsOf(pid));
  const { user, system } = process.cpuUsage();
  return { nodes, selfMs: (user + system) / 1000 };
}

/** CPU µs per acknowledged send between two samples: each node, the client, and all of them. */
export interface CpuPerSend {
  nodesUs: Record<string, number>;
  clientUs: number;
  totalUs: number;
}

export function cpuPerSend(before: CpuSample, after: CpuSample, acked: number): CpuPerSend | undefined {
  if (acked <= 0) return undefined;
  const nodesUs: Record<string, number> = {};
  let total = 0;
  for (const [id, end] of after.nodes) {
    const start = before.nodes.get(id);
    if (end === undefined || start === undefined) return undefined;
    nodesUs[`n${id}`] = ((end - start) * 1000) / acked;
    total += end - start;
  }
  const clientUs = ((after.selfMs - before.selfMs) * 1000) / acked;
  return { nodesUs, clientUs, totalUs: (total * 1000) / acked + clientUs };
}
