// The floors of this machine, measured in the same run as the cluster so that targets are
// ratios: a 100-byte append + fdatasync on a temp file, a loopback gRPC echo round trip, and
// the stalls a process sees when it never waits (what the latency tail cannot go below).
import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { closedLoop, openLoop, type Pair } from "./load.js";
import { quantile } from "./stats.js";

export interface FsyncFloor {
  appends: number;
  medianMs: number;
  p99Ms: number;
  /** Back-to-back appends+fdatasync per second (one writer, no batching). */
  fsyncsPerSecMax: number;
}

/** Appends 100 bytes and fdatasyncs, `count` times or for `durationMs`, whichever ends first. */
export function measureFsync(durationMs: number, countMax = 20_000): FsyncFloor {
  const dir = mkdtempSync(join(tmpdir(), "chat-bench-fsync-"));
  const fd = openSync(join(dir, "append.log"), "a");
  const record = Buffer.alloc(100, 0x61);
  record[99] = 0x0a;
  const samples: number[] = [];
  try {
    const start = performance.now();
    while (samples.length < countMax && performance.now() - start < durationMs) {
      const t0 = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      samples.push(performance.now() - t0);
    }
    const elapsedS = (performance.now() - start) / 1000;
    return { appends: samples.length, medianMs: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99),
      fsyncsPerSecMax: samples.length / elapsedS };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

const identity = (b: Buffer): Buffer => b;
const echoService: grpc.ServiceDefinition = {
  echo: {
    path: "/bench.Echo/Echo", requestStream: false, responseStream: false,
    requestSerialize: identity, requestDeserialize: identity,
    responseSerialize: identity, responseDeserialize: identity,
  },
};

export interface EchoFloor {
  inFlight: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** A tiny echo server on 127.0.0.1 and a client: one unary call a `send` (the bench's Pair). */
async function echoPair(): Promise<Pair> {
  const server = new grpc.Server();
  server.addService(echoService, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const Client = grpc.makeGenericClientConstructor(echoService, "Echo");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    echo(req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<Buffer>): void;
  };
  const payload = Buffer.alloc(100, 0x62);
  const send = (): Promise<void> => new Promise<void>((resolve, reject) =>
    client.echo(payload, new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (e) => (e ? reject(e) : resolve())));
  for (let i = 0; i < 200; i++) await send(); // warm up the connection and the JIT
  return { to: "echo", path: "unary", from: [], send, close: () => {
    client.close();
    server.forceShutdown();
  } };
}

/** Loopback gRPC echo with `inFlight` unary calls kept busy: the throughput floor. */
export async function measureGrpcEcho(durationMs: number, inFlight = 64): Promise<EchoFloor> {
  const echo = await echoPair();
  try {
    const r = await closedLoop(echo, inFlight, durationMs);
    return { inFlight, requests: r.acked, reqPerSec: r.sendsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  } finally {
    echo.close();
  }
}

/**
 * Loopback gRPC echo at a fixed rate (open loop, as the half-load level), client and server in
 * this process: the latency of unary calls alone, without a second process, disk or batching.
 */
export async function measureGrpcEchoAt(ratePerSec: number, durationMs: number): Promise<EchoFloor> {
  const echo = await echoPair();
  try {
    const r = await openLoop(echo, ratePerSec, durationMs);
    return { inFlight: r.inFlight, requests: r.acked, reqPerSec: r.sendsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  } finally {
    echo.close();
  }
}

export interface StallFloor {
  /** Busy processes, one per core, each timing the gaps between its loop's turns. */
  processes: number;
  durationMs: number;
  /** Gaps of ≥ 5 ms per second, summed over the processes. */
  stalls5msPerSec: number;
  /** Share of the time the processes lost in gaps of ≥ 1 ms. */
  stalledShare: number;
  maxMs: number;
}

/** A busy loop: the gaps between turns of ≥ 1 ms, as JSON on stdout. */
const stallProbe = `
  const end = performance.now() + Number(process.argv[1]);
  const gaps = [];
  for (let last = performance.now(), now = last; now < end; last = now) {
    now = performance.now();
    if (now - last >= 1) gaps.push(now - last);
  }
  console.log(JSON.stringify(gaps));`;

/**
 * One busy process per core for `durationMs`: nothing in them waits, so every gap between two
 * turns of the loop is the machine taking the CPU away (the host, the kernel, other work).
 * Any node or client process can be hit the same way, and a send waits for four of them.
 */
export async function measureStalls(durationMs: number): Promise<StallFloor> {
  const processes = availableParallelism();
  const runs = await Promise.all(Array.from({ length: processes }, () => new Promise<number[]>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", stallProbe, String(durationMs)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`stall probe exit ${code}`))));
  })));
  const gaps = runs.flat();
  const lostMs = gaps.reduce((sum, g) => sum + g, 0);
  return {
    processes, durationMs, stalls5msPerSec: gaps.filter((g) => g >= 5).length / (durationMs / 1000),
    stalledShare: lostMs / (processes * durationMs), maxMs: Math.max(0, ...gaps),
  };
}
