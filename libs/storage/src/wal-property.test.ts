// Property: whatever single cut or bit flip hits a WAL, recovery says "torn tail" or
// "corruption" exactly as S3/S4 define them and returns a prefix of what was written, never a
// wrong record.
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { CommitLog } from "./commit-log.js";
import {
  batchEnds,
  entryLines,
  flipBit,
  makeEntries,
  noSyncIo,
  segmentFiles,
  withTempDir,
  writeBatches,
  type TestEntry,
} from "./testing/fixtures.js";

interface Segment {
  readonly file: string;
  readonly buf: Buffer;
  readonly ends: number[];
  readonly lines: { index: number; start: number; end: number }[];
}

type Mutation = { kind: "cut" | "flip"; seg: number; pos: number; bit: number };

type Expected =
  | { kind: "clean"; kept: number }
  | { kind: "torn"; kept: number }
  | { kind: "corrupt"; kept: number };

/** What S3/S4 say must come out, given where the damage is. `kept` = entries 1..kept. */
function expected(segments: readonly Segment[], m: Mutation): Expected {
  const seg = segments[m.seg] as Segment;
  const isLast = m.seg === segments.length - 1;
  const before = segments.slice(0, m.seg).reduce((n, s) => n + s.lines.length, 0);
  const upTo = (offset: number) => before + seg.lines.filter((l) => l.end <= offset).length;
  if (m.kind === "cut") {
    if (m.pos === seg.buf.length) {
      return { kind: "clean", kept: segments.reduce((n, s) => n + s.lines.length, 0) };
    }
    if (!isLast) return { kind: "corrupt", kept: upTo(m.pos) };
    const boundary = [...seg.ends].reverse().find((e) => e <= m.pos);
    if (boundary === undefined) return { kind: "torn", kept: before }; // torn segment creation
    return { kind: boundary === m.pos ? "clean" : "torn", kept: upTo(boundary) };
  }
  const lastBatchStart = seg.ends.at(-2) ?? 0;
  if (isLast && m.pos >= lastBatchStart) return { kind: "torn", kept: upTo(lastBatchStart) };
  return { kind: "corrupt", kept: upTo(m.pos) };
}

const scenario = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 7 }),
  smallSegments: fc.boolean(),
  mutation: fc.record({
    kind: fc.constantFrom<"cut" | "flip">("cut", "flip"),
    seg: fc.nat(),
    pos: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
});

it("a cut or bit flip yields torn tail or corruption, and only a prefix of the log", () =>
  withTempDir(async (root) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ sizes, smallSegments, mutation }) => {
        const dir = path.join(root, `run-${run++}`);
        const options = { segmentBytesMax: smallSegments ? 400 : 1 << 20, io: noSyncIo };
        let next = 1;
        const batches = sizes.map((n, i) => {
          const batch = makeEntries(next, n, 1 + Math.floor(i / 2));
          next += n;
          return batch;
        });
        const written = batches.flat();
        await writeBatches(dir, batches, options);
        const segments: Segment[] = [];
        for (const file of await segmentFiles(dir)) {
          const buf = await fs.readFile(file);
          segments.push({ file, buf, ends: batchEnds(buf), lines: entryLines(buf) });
        }
        const m = { ...mutation, seg: mutation.seg % segments.length };
        const target = segments[m.seg] as Segment;
        m.pos = m.pos % (target.buf.length + (m.kind === "cut" ? 1 : 0));
        const damaged =
          m.kind === "cut" ? target.buf.subarray(0, m.pos) : flipBit(target.buf, m.pos, m.bit);
        await fs.writeFile(target.file, damaged);

        const want = expected(segments, m);
        const { log, entries, report } = await CommitLog.open<TestEntry>(dir, options);
        await log.close();
        assert.deepEqual(entries, written.slice(0, want.kept), JSON.stringify(m));
        const got = report.corruption ? "corrupt" : report.tornTail ? "torn" : "clean";
        assert.equal(got, want.kind, JSON.stringify(m));
        if (want.kind === "corrupt") {
          assert.equal(report.corruption?.firstDamagedIndex, want.kept + 1);
          assert.equal(report.corruption?.lastIndexReached, written.length);
          assert.deepEqual(await fs.readFile(target.file), damaged, "corruption is never cut");
        }
        await fs.rm(dir, { recursive: true, force: true });
      }),
      {
        numRuns: 60,
        // Found by CI: a flipped newline ending the marker before the last batch merged that
        // marker with the last batch's record, and the intact last marker was not recognised
        // (its chain CRC came from the merged line), so acked batches were cut as a torn tail.
        examples: [[{ sizes: [2, 1], smallSegments: false, mutation: { kind: "flip", seg: 0, pos: 452197922, bit: 0 } }]],
      },
    );
  }));
