// Properties of importing damaged bundles: whatever is cut off or flipped (in the gzip bytes, or in
// the content with the digests made to match), importing either adds exactly one whole run or
// refuses with a BundleError naming the file; it never throws anything else and never leaves a
// partial run behind.
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDb, type TempDb } from '../../db/testDb.testkit';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timeline/timelineStore';
import type { LabDatabase } from '../../db/database';
import { importRunBundle } from './runBundleImport';
import { BundleError } from './runBundleFormat';
import { exportBundle, rewrite, runPreset } from './runBundle.testkit';

let lab: TempDb;
let bundle: Buffer;

beforeAll(() => {
  lab = tempDb();
  const id = runPreset(lab.db, 'quickstart-nvme-fio', ['durationMs=3']);
  bundle = exportBundle(lab.db, id);
  // The original goes: every intact import is then a new run, not a duplicate.
  new RunStore(lab.db).delete(id);
});
afterAll(() => lab.dispose());

function tables(db: LabDatabase): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name LIKE 'timeline_events_%'`).get() as { n: number }).n;
}

function runIds(db: LabDatabase): number[] {
  return db.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[];
}

/** Imports `bytes`: a BundleError or one whole new run (then removed again); anything else fails the property. */
function importsWholeOrNothing(bytes: Uint8Array): void {
  const before = runIds(lab.db);
  const eventTables = tables(lab.db);
  try {
    const r = importRunBundle(lab.db, bytes, 'p.gz');
    expect(runIds(lab.db)).toEqual(r.kind === 'imported' ? [...before, r.runId] : before);
    if (r.kind === 'imported') {
      const summary = new TimelineStore(lab.db).summary(r.runId);
      if (summary !== undefined) expect(new TimelineStore(lab.db).count(r.runId)).toBe(summary.eventCount);
      new RunStore(lab.db).delete(r.runId);
    }
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    expect(err.message.startsWith('p.gz: ')).toBe(true);
    expect(runIds(lab.db)).toEqual(before);
    expect(tables(lab.db)).toBe(eventTables);
  }
}

const scalar = fc.oneof(
  fc.integer({ min: -2, max: 70_000 }),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constantFrom('NaN', 'Infinity', '-Infinity'),
);

/** Replaces the value at a random path of `value` (steered by `steps`) with `by`. */
function mutate(value: unknown, steps: readonly number[], by: unknown): unknown {
  if (steps.length === 0 || typeof value !== 'object' || value === null) return by;
  const [step, ...rest] = steps as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return by;
    const i = step % value.length;
    return value.map((v, k) => (k === i ? mutate(v, rest, by) : v));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return by;
  const key = keys[step % keys.length]!;
  if (rest.length === 0 && step % 7 === 0) {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
  }
  return { ...(value as Record<string, unknown>), [key]: mutate((value as Record<string, unknown>)[key], rest, by) };
}

describe('importing damaged bundles', () => {
  it('cut off anywhere or with bits flipped, never throws anything but BundleError, never leaves a partial run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bundle.length }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
        (cut, flips) => {
          const bytes = Buffer.from(bundle.subarray(0, cut));
          for (const [at, bit] of flips) if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 << bit;
          importsWholeOrNothing(bytes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with content changed and digests to match, refuses with BundleError or imports one whole run', () => {
    const count = gunzipSync(bundle).toString().split('\n').length - 2;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: count - 1 }), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), scalar, (line, steps, by) => {
        const edited = rewrite(bundle, (lines) => lines.map((l, i) => (i === line ? JSON.stringify(mutate(JSON.parse(l), steps, by)) : l)));
        importsWholeOrNothing(edited);
      }),
      { numRuns: 100 },
    );
  });
});
