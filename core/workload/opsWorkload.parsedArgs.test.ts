// A step's arguments are parsed once per scenario (parsedOpArgs caches the parse by the raw
// arguments object): the cached value must be what def.args.parse gives for the same raw object
// (random raw arguments for every op, valid or not: same value, or the same error), and a run whose
// steps hit the cache must give what a run of a fresh copy of the scenario gives (every op preset:
// op results, metrics, timeline hash and counters).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPS } from '../ops/opRegistry';
import { opCatalog } from '../ops/opCatalog';
import { PRESETS } from '../scenario/presets';
import { presetPlan } from '../run/presetPlan';
import { ScenarioRun } from '../run/scenarioRun';
import { TimelineRecorder } from '../sim/timelineRecorder';
import type { Scenario } from '../scenario/schema';
import { parsedOpArgs } from './opsWorkload';

/** The oracle: the parse every step made before the cache (value, or the error's message). */
function freshParse(op: string, raw: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: OPS.get(op)!.args.parse(raw) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function cachedParse(op: string, raw: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: parsedOpArgs(OPS.get(op)!, raw) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

const ARG_NAMES = [...new Set(opCatalog().flatMap((o) => Object.keys((o.argsSchema as { properties?: object }).properties ?? {})))];
const value = fc.oneof(
  fc.nat(1 << 24),
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom('0x1000', '0xffffffffffff000', 'container1', '', 'x y'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(10), { maxLength: 3 }),
);

describe('parsedOpArgs', () => {
  it('gives what def.args.parse gives, first call and cached, for random arguments of every op', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OPS.keys()),
        fc.dictionary(fc.oneof(fc.constantFrom(...ARG_NAMES), fc.constant('junk')), value, { maxKeys: 6 }),
        (op, raw) => {
          const oracle = freshParse(op, raw);
          expect(cachedParse(op, raw)).toEqual(oracle);
          expect(cachedParse(op, raw)).toEqual(oracle);
          // The raw object itself is never changed by the parse or the cache.
          expect(freshParse(op, raw)).toEqual(oracle);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps one raw object used by two ops apart (their defaults differ)', () => {
    const raw = { iova: 0x10000, size: 0x1000 };
    const a = parsedOpArgs(OPS.get('vfio.unmap')!, raw);
    const b = parsedOpArgs(OPS.get('vfio.map')!, { ...raw, vaddr: 0 });
    expect(parsedOpArgs(OPS.get('vfio.unmap')!, raw)).toEqual(a);
    expect(OPS.get('vfio.map')!.args.safeParse(raw).success).toBe(false);
    expect(() => parsedOpArgs(OPS.get('vfio.map')!, raw)).toThrow();
    expect(parsedOpArgs(OPS.get('vfio.unmap')!, raw)).toBe(a);
    expect(b).not.toBe(a);
  });

  it('hands out a frozen value: an op that wrote to its arguments would throw, not leak into the next run', () => {
    const parsed = parsedOpArgs(OPS.get('vfio.unmap')!, { iova: 0, size: 4096 }) as Record<string, unknown>;
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(() => {
      parsed['iova'] = 1;
    }).toThrow(TypeError);
  });
});

function runOf(scenario: Scenario): unknown {
  const timeline = new TimelineRecorder();
  const result = new ScenarioRun(scenario, { timeline }).runToEnd();
  return { ...result, events: timeline.size };
}

const OPS_SCENARIOS = PRESETS.flatMap((preset) => {
  const planned = presetPlan(preset);
  if (!planned.ok) return [];
  return [
    { name: `${preset.id}/-`, scenario: planned.plan.base },
    ...planned.plan.variants.map((v) => ({ name: `${preset.id}/${v.name}`, scenario: v.scenario })),
  ].filter((s) => s.scenario.workload.kind === 'ops');
});

describe('ops runs with cached arguments', () => {
  it('finds ops presets', () => {
    expect(OPS_SCENARIOS.length).toBeGreaterThan(10);
  });
  it.each(OPS_SCENARIOS.map((s) => [s.name, s.scenario] as const))(
    '%s: twice from the cache, as a fresh copy parsed anew',
    (_, scenario) => {
      const first = runOf(scenario);
      const second = runOf(scenario);
      const fresh = runOf(structuredClone(scenario));
      expect(second).toEqual(first);
      expect(fresh).toEqual(first);
    },
  );
});
