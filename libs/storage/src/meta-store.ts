// The node's identity and hard state (R0): clusterId, nodeId, a storageId minted when the
// data dir is created (never reused, R20), the epoch, the vote per epoch and a commit hint.
// Identity lives in `meta.json` (lowdb through the durable adapter, written once). The hard
// state changes on every election and every commit hint, so it lives in `hardstate`, two slots
// updated in place with one fdatasync (hard-state-file.ts); `meta.json`'s own epoch, votes and
// hint are the state it started from (a data dir from before `hardstate` existed continues
// from them). `update` resolves only when the new state is on disk, so a vote or an epoch
// change can be announced after it (S1).
import { randomUUID } from "node:crypto";
import { access } from "node:fs/promises";
import * as path from "node:path";
import { Low } from "lowdb";
import { DurableJsonFile, removeStaleTmp } from "./durable-file.js";
import { HardStateFile } from "./hard-state-file.js";
import { ensureDir, nodeFileIo, type FileIo } from "./io.js";
import { votedForEpochsMax } from "./limits.js";

export interface NodeMeta {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly storageId: string;
  readonly epoch: number;
  /** The node this one voted for in each epoch (keys are epochs in decimal). */
  readonly votedFor: Readonly<Record<string, number>>;
  /** The last known commit index; only a hint (R0, R2). */
  readonly commitHint: number;
  /**
   * S4: how far a damaged log reached, kept after its repair until the log covers it again
   * (libs/replication NOTES.md refinement 23); absent or null when there is none.
   */
  readonly damagedReach?: LogReachRecord | null;
}

/** A log position, epoch first (the replication core's `LogReach`). */
export interface LogReachRecord {
  readonly lastEpoch: number;
  readonly lastIndex: number;
}

export interface MetaInit {
  readonly clusterId: string;
  readonly nodeId: number;
}

/** `votedFor` entries are merged in: a vote, once cast in an epoch, cannot change. */
export type MetaPatch = Partial<Pick<NodeMeta, "epoch" | "votedFor" | "commitHint" | "damagedReach">>;

/** `hardState`: set once `hardstate` exists; from then on meta.json's votes are stale. */
type MutableMeta = { -readonly [K in keyof NodeMeta]: NodeMeta[K] } & { hardState?: true };
type HardState = Pick<NodeMeta, "epoch" | "votedFor" | "commitHint" | "damagedReach">;

export class MetaStore {
  private constructor(
    private readonly db: Low<MutableMeta>,
    private readonly hard: HardStateFile<HardState>,
    /** True when this open created `meta.json` (a new data dir, a new storageId). */
    readonly created: boolean,
  ) {}

  static async open(dataDir: string, init: MetaInit, io: FileIo = nodeFileIo): Promise<MetaStore> {
    await ensureDir(io, dataDir);
    const file = path.join(dataDir, "meta.json");
    await removeStaleTmp(file);
    const fresh: MutableMeta = {
      clusterId: init.clusterId,
      nodeId: init.nodeId,
      storageId: randomUUID(),
      epoch: 0,
      votedFor: {},
      commitHint: 0,
    };
    const db = new Low<MutableMeta>(new DurableJsonFile<MutableMeta>(file, io), fresh);
    const existing = await (db.adapter as DurableJsonFile<MutableMeta>).read();
    const created = existing === null;
    if (existing === null) await db.write();
    else checkMeta(existing, init, file);
    const data = existing ?? fresh;
    const hardFile = path.join(dataDir, "hardstate");
    // Rebuilding a lost `hardstate` from meta.json would bring back older votes (a second
    // vote in an epoch): only a data dir from before `hardstate` may start from meta.json.
    if (existing?.hardState === true && !(await fileExists(hardFile))) {
      throw new Error(`${hardFile} is missing (${file} says it was made): the node's votes are lost; `
        + "refusing to start (S4: repair this data dir from the peers)");
    }
    const hard = await HardStateFile.open<HardState>(hardFile, io, () => ({
      epoch: data.epoch, votedFor: data.votedFor, commitHint: data.commitHint,
    }));
    checkHardState(hard.state, hardFile);
    db.data = { ...data, ...hard.state, hardState: true };
    if (existing?.hardState !== true) await db.write(); // once: `hardstate` now exists
    return new MetaStore(db, hard, created);
  }

  get data(): NodeMeta {
    return this.db.data;
  }

  /** Applies `patch` and resolves once it is durable. Epochs never go back. */
  update(patch: MetaPatch): Promise<void> {
    const data = this.db.data;
    if (
      patch.epoch !== undefined &&
      !(Number.isSafeInteger(patch.epoch) && patch.epoch >= data.epoch)
    ) {
      return Promise.reject(new Error(`meta: epoch ${patch.epoch} below ${data.epoch}`));
    }
    const votes = { ...data.votedFor };
    for (const [epoch, nodeId] of Object.entries(patch.votedFor ?? {})) {
      const cast = votes[epoch];
      if (cast !== undefined && cast !== nodeId) {
        return Promise.reject(new Error(`meta: already voted for ${cast} in epoch ${epoch}`));
      }
      votes[epoch] = nodeId;
    }
    if (patch.epoch !== undefined) data.epoch = patch.epoch;
    if (patch.commitHint !== undefined) data.commitHint = patch.commitHint;
    if (patch.damagedReach !== undefined) data.damagedReach = patch.damagedReach;
    data.votedFor = newestVotes(votes);
    const { epoch, votedFor, commitHint, damagedReach } = data;
    return this.hard.write({ epoch, votedFor, commitHint, ...(damagedReach ? { damagedReach } : {}) });
  }

  /** Waits for pending updates and closes the hard-state file. */
  close(): Promise<void> {
    return this.hard.close();
  }
}

/** Keeps the votes of the `votedForEpochsMax` highest epochs (a bound on the file). */
function newestVotes(votes: Record<string, number>): Record<string, number> {
  const epochs = Object.keys(votes).sort((a, b) => Number(b) - Number(a));
  const kept: Record<string, number> = {};
  for (const epoch of epochs.slice(0, votedForEpochsMax).reverse()) {
    kept[epoch] = votes[epoch] as number;
  }
  return kept;
}

function checkHardState(state: HardState, file: string): void {
  const reach = state.damagedReach;
  const ok = Number.isSafeInteger(state.epoch) && state.epoch >= 0
    && Number.isSafeInteger(state.commitHint)
    && typeof state.votedFor === "object" && state.votedFor !== null
    && (reach === undefined || reach === null
      || (Number.isSafeInteger(reach.lastEpoch) && Number.isSafeInteger(reach.lastIndex)));
  if (!ok) throw new Error(`${file}: not a hard state`);
}

function checkMeta(meta: MutableMeta, init: MetaInit, file: string): void {
  const ok =
    typeof meta === "object" &&
    meta !== null &&
    typeof meta.clusterId === "string" &&
    Number.isSafeInteger(meta.nodeId) &&
    typeof meta.storageId === "string" &&
    Number.isSafeInteger(meta.epoch) &&
    typeof meta.votedFor === "object" &&
    meta.votedFor !== null &&
    Number.isSafeInteger(meta.commitHint);
  if (!ok) throw new Error(`${file} is not a valid meta file`);
  if (meta.clusterId !== init.clusterId || meta.nodeId !== init.nodeId) {
    throw new Error(
      `${file} belongs to cluster ${meta.clusterId} node ${meta.nodeId}, ` +
        `not cluster ${init.clusterId} node ${init.nodeId}`,
    );
  }
}

async function fileExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
