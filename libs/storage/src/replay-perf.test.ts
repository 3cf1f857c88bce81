// Performance: a WAL of 1,000,000 small entries replays in a few seconds (no quadratic work
// anywhere on the path). The WAL is generated directly with the format functions (the write
// path is exercised everywhere else); only the replay is timed.
import assert from "node:assert/strict";
import { it } from "node:test";
import { CommitLog } from "./commit-log.js";
import { noSyncIo, withTempDir } from "./testing/fixtures.js";
import { writeSyntheticWal } from "./testing/synthetic-wal.js";

const entryCount = 1_000_000;
/** Generous for a loaded 2-vCPU CI box; an idle one replays in about 2 s. */
const replayMsMax = 15_000;

it(`replays ${entryCount} entries in a few seconds`, (t) =>
  withTempDir(async (dir) => {
    await writeSyntheticWal(dir, entryCount, (index) => {
      const epoch = 1 + Math.floor(index / 400_000);
      return { epoch, json: `{"index":${index},"epoch":${epoch},"kind":"cmd","ts":${index}}` };
    });
    const started = performance.now();
    const reopened = await CommitLog.open(dir, { io: noSyncIo });
    const elapsedMs = performance.now() - started;
    t.diagnostic(`replayed ${reopened.entries.length} entries in ${elapsedMs.toFixed(0)} ms`);
    assert.equal(reopened.entries.length, entryCount);
    assert.equal(reopened.entries.at(-1)?.index, entryCount);
    assert.equal(reopened.log.lastEpoch, 3);
    assert.ok(elapsedMs < replayMsMax, `replay took ${elapsedMs.toFixed(0)} ms`);
    await reopened.log.close();
  }));
