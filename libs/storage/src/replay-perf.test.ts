// Performance: a WAL of 1,000,000 small entries replays in a few seconds (no quadratic work
// anywhere on the path). The log is built through appendRaw, which never re-serialises.
import assert from "node:assert/strict";
import { it } from "node:test";
import { CommitLog } from "./commit-log.js";
import { noSyncIo, withTempDir } from "./testing/fixtures.js";

const entryCount = 1_000_000;
/** Generous for a loaded 2-vCPU CI box; an idle one replays in about 2 s. */
const replayMsMax = 15_000;

it(`replays ${entryCount} entries in a few seconds`, (t) =>
  withTempDir(async (dir) => {
    const { log } = await CommitLog.open(dir, { io: noSyncIo });
    const chunk = 50_000;
    for (let first = 1; first <= entryCount; first += chunk) {
      const raw = [];
      for (let index = first; index < first + chunk; index++) {
        const epoch = 1 + Math.floor(index / 400_000);
        raw.push({ index, epoch, json: `{"index":${index},"epoch":${epoch},"kind":"cmd","ts":${index}}` });
      }
      await log.appendRaw(raw);
    }
    await log.close();

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
