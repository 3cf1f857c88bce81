// One process of the replication floor (replication-floor.ts): the least a primary-backup
// commit can do with this stack. `backup`: append each batch it receives to a file, fdatasync,
// acknowledge the batch's number. `primary BACKUP_PORT BACKUP_PORT`: batch what clients send
// while the previous batch's fdatasync runs, write and fdatasync it, send it to both backups,
// and answer each message once itself and both backups have synced its batch. Raw bytes over
// grpc-js bidi streams: no protobuf, no JSON, no state machine. Reports its port over IPC.
import { writeSync } from "node:fs";
import * as fs from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";

const raw = (b: Buffer): Buffer => b;
export const floorService = {
  pipe: {
    path: "/chatbench.Floor/Pipe", requestStream: true, responseStream: true,
    requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw,
  },
} satisfies grpc.ServiceDefinition;

type Pipe = grpc.ServerDuplexStream<Buffer, Buffer>;

/** A floor process that cannot go on exits; the bench sees the exit and fails its sends. */
function die(err: unknown): never {
  console.error(`replication floor: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

/** Appends + fdatasyncs batches one after another; `onSynced` gets each batch once durable. */
function syncedWriter(fh: fs.FileHandle, onSynced: (batch: Buffer[]) => void): (piece: Buffer) => void {
  let queue: Buffer[] = [];
  let busy = false;
  const flush = async (): Promise<void> => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue;
    queue = [];
    writeSync(fh.fd, Buffer.concat(batch));
    await fh.datasync();
    onSynced(batch);
    busy = false;
    void flush().catch(die);
  };
  return (piece) => {
    queue.push(piece);
    // Lone pieces wait for this turn's other I/O, so a batch gathers what arrived together.
    if (queue.length === 1) setImmediate(() => void flush().catch(die));
  };
}

async function serve(impl: (call: Pipe) => void): Promise<number> {
  const server = new grpc.Server();
  server.addService(floorService, { pipe: impl });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(),
      (e, port) => (e ? reject(e) : resolve(port))));
}

async function backup(dir: string): Promise<number> {
  const fh = await fs.open(join(dir, `backup-${process.pid}`), "a");
  return serve((call) => {
    // A batch is `seq (8 bytes) + messages`; the ack is the last synced batch's seq.
    const write = syncedWriter(fh, (batches) => call.write(batches[batches.length - 1]!.subarray(0, 8)));
    call.on("data", write);
    call.on("error", () => {}); // the primary went away: the bench is ending or failing
  });
}

async function primary(dir: string, backupPorts: string[]): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(floorService, "Floor");
  type FloorClient = { pipe(): grpc.ClientDuplexStream<Buffer, Buffer> };
  const backups = backupPorts.map((port) =>
    (new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as FloorClient).pipe());
  const fh = await fs.open(join(dir, `primary-${process.pid}`), "a");
  // Highest batch synced by: this node, backup 1, backup 2.
  const synced = [0n, 0n, 0n];
  const waiting = new Map<bigint, [Pipe, Buffer][]>();
  const onSynced = (who: number, seq: bigint): void => {
    synced[who] = seq;
    const all = synced.reduce((a, b) => (a < b ? a : b));
    for (const [s, replies] of waiting) {
      if (s > all) break;
      waiting.delete(s);
      for (const [call, msg] of replies) call.write(msg.subarray(0, 8)); // the message's own number
    }
  };
  backups.forEach((stream, i) => {
    stream.on("data", (ack: Buffer) => onSynced(i + 1, ack.readBigUInt64BE(0)));
    stream.on("error", die);
  });
  let seq = 0n;
  let replies: [Pipe, Buffer][] = [];
  const write = syncedWriter(fh, (batches) => onSynced(0, batches[batches.length - 1]!.readBigUInt64BE(0)));
  const cut = (): void => {
    if (replies.length === 0) return;
    const head = Buffer.alloc(8);
    head.writeBigUInt64BE(++seq);
    const batch = Buffer.concat([head, ...replies.map(([, m]) => m)]);
    waiting.set(seq, replies);
    replies = [];
    for (const b of backups) b.write(batch);
    write(batch);
  };
  return serve((call) => {
    call.on("data", (msg: Buffer) => {
      replies.push([call, msg]);
      if (replies.length === 1) setImmediate(cut);
    });
    call.on("error", () => {}); // a client went away
  });
}

// Run as a process by replication-floor.ts; only its service definition when imported.
const [role, dir, ...ports] = process.argv.slice(2);
if (process.argv[1] === fileURLToPath(import.meta.url) && process.send && dir) {
  const port = role === "primary" ? await primary(dir, ports) : await backup(dir);
  process.send({ port });
}
