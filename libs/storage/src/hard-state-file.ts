// The node's mutable hard state (epoch, votes, commit hint) in two fixed-size slots of one
// preallocated file, updated in place: write the slot not holding the latest state, then
// fdatasync. That is one fdatasync per vote, where an atomic replace costs a temp write, an
// fsync, a rename and a directory fsync (two journal commits): votes and epoch changes sit on
// the failover path (R13–R15), and commit hints must not slow them down.
//
// Slot format: `CCCCCCCC {"seq":N,"state":{...}}\n`, padded with spaces to `hardStateSlotBytes`,
// where CCCCCCCC is the hex CRC-32 of the JSON. A torn write can only damage the slot being
// written, whose state was never promised to anyone (its write had not resolved); the other
// slot still holds the previous state. The file never changes size after creation, so
// fdatasync makes an update durable.
import * as fs from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { crc32, hex8, parseHex8 } from "./crc.js";
import { fatal, StorageFatalError } from "./errors.js";
import { fileMode, fsyncDir, isErrno, writeAllAt, type FileIo } from "./io.js";
import { hardStateSlotBytes } from "./limits.js";

interface Slot<T> {
  seq: number;
  state: T;
}

export class HardStateFile<T> {
  private last: Promise<void> = Promise.resolve();
  private failure: StorageFatalError | undefined;

  private constructor(
    private readonly file: string,
    private readonly fh: FileHandle,
    private readonly io: FileIo,
    /** Sequence number of the latest durable state; it lives in slot `seq % 2`. */
    private seq: number,
    readonly state: T,
  ) {}

  /** Opens `file`, or creates it holding `initial` (durably, with its directory entry). */
  static async open<T>(file: string, io: FileIo, initial: () => T): Promise<HardStateFile<T>> {
    let fh: FileHandle;
    try {
      fh = await fs.open(file, "r+");
    } catch (error) {
      if (!isErrno(error, "ENOENT")) throw error;
      return HardStateFile.create(file, io, initial());
    }
    try {
      const latest = await readLatest<T>(fh, file);
      return new HardStateFile(file, fh, io, latest.seq, latest.state);
    } catch (error) {
      await fh.close();
      throw error;
    }
  }

  private static async create<T>(file: string, io: FileIo, state: T): Promise<HardStateFile<T>> {
    const tmp = `${file}.tmp`;
    const fh = await fs.open(tmp, "w+", fileMode);
    try {
      // Both slots valid from the start: slot 0 holds seq 0, slot 1 seq 1.
      await writeAllAt(io, fh, encodeSlot({ seq: 0, state }), 0);
      await writeAllAt(io, fh, encodeSlot({ seq: 1, state }), hardStateSlotBytes);
      await io.sync(fh);
      await fs.rename(tmp, file);
      await fsyncDir(io, path.dirname(file));
    } catch (error) {
      await fh.close();
      await fs.rm(tmp, { force: true }); // nothing half-made is left for the next start
      throw error;
    }
    return new HardStateFile(file, fh, io, 1, state);
  }

  /** Durably records `state` (captured now); writes apply in call order. */
  write(state: T): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seq = ++this.seq;
    const bytes = encodeSlot({ seq, state });
    const next = this.last.then(() => this.put(seq, bytes));
    this.last = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.last;
    await this.fh.close();
  }

  private async put(seq: number, bytes: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      await writeAllAt(this.io, this.fh, bytes, (seq % 2) * hardStateSlotBytes);
      await this.io.datasync(this.fh);
    } catch (error) {
      // S2: never retry; the slot may be torn, and the node must restart from what is durable.
      this.failure = fatal(`writing the hard state to ${this.file}`, error);
      throw this.failure;
    }
  }
}

function encodeSlot<T>(slot: Slot<T>): Buffer {
  const json = JSON.stringify(slot);
  const line = `${hex8(crc32(json))} ${json}\n`;
  const bytes = Buffer.byteLength(line);
  if (bytes > hardStateSlotBytes) {
    throw new Error(`hard state is ${bytes} bytes (max ${hardStateSlotBytes})`);
  }
  const buf = Buffer.alloc(hardStateSlotBytes, 0x20);
  buf.write(line, 0, "utf8");
  return buf;
}

/** One slot's state, or undefined if it is torn or damaged. */
function decodeSlot<T>(buf: Buffer): Slot<T> | undefined {
  const end = buf.indexOf(0x0a);
  if (end < 10 || buf[8] !== 0x20) return undefined;
  const json = buf.subarray(9, end);
  if (parseHex8(buf, 0) !== crc32(json)) return undefined;
  try {
    const slot = JSON.parse(json.toString("utf8")) as Slot<T>;
    return Number.isSafeInteger(slot.seq) && typeof slot.state === "object" ? slot : undefined;
  } catch {
    return undefined;
  }
}

async function readLatest<T>(fh: FileHandle, file: string): Promise<Slot<T>> {
  const buf = Buffer.alloc(2 * hardStateSlotBytes);
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  const slots: Slot<T>[] = [];
  for (let k = 0; k < 2 && bytesRead >= (k + 1) * hardStateSlotBytes; k++) {
    const slot = decodeSlot<T>(buf.subarray(k * hardStateSlotBytes, (k + 1) * hardStateSlotBytes));
    if (slot !== undefined) slots.push(slot);
  }
  // Both slots bad cannot come from one torn write: the file is damaged, and the vote it held
  // must not be forgotten (S4).
  if (slots.length === 0) throw new Error(`${file}: both hard-state slots are damaged`);
  return slots.reduce((a, b) => (b.seq > a.seq ? b : a));
}
