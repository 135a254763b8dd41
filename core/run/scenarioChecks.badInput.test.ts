// Bad input, generated: whatever text, value or override reaches the scenario loader, it answers
// with a scenario or with `path: message` lines (one line each, a path, ": ", a message), and never
// throws (random JSON and YAML, deep nesting, huge arrays, numbers near 2^53 and 2^64).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadRunnableScenario } from './scenarioChecks';
import type { LoadResult } from '../scenario/loadScenario';

/** One problem line: a path without a line break, ": ", a message; the renderer splits at the first ": ". */
const PROBLEM_LINE = /^(?:--set )?[^\s][^\n\r]*?: [^\n\r]*\S$/;

function expectAnswer(load: () => LoadResult): void {
  let result: LoadResult;
  try {
    result = load();
  } catch (err) {
    throw new Error(`the loader threw: ${String(err)}`);
  }
  if (result.ok) return;
  expect(result.problems.length).toBeGreaterThan(0);
  expect(result.problems.length).toBeLessThanOrEqual(201);
  for (const p of result.problems) {
    expect(typeof p).toBe('string');
    expect(p).toMatch(PROBLEM_LINE);
  }
}

function nested(depth: number, leaf: unknown, key: string | null): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = key === null ? [v] : { [key]: v };
  return v;
}

const NEAR_LIMITS = [
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64 - 2048,
  2 ** 64,
  2 ** 64 + 4096,
  -(2 ** 53),
  1e308,
  -0,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '0x1fffffffffffff',
  '0x20000000000001',
  '0xfffffffffffff000',
  '0xffffffffffffffff',
  '0x10000000000000000',
  '0x' + 'f'.repeat(100),
  '0x',
  '0x-1',
];

/** Where a number or hex string lands: the u64 fields and plain numbers of a valid scenario. */
const NUMBER_PATHS = ['host.vfio.memlockBytes', 'host.vfio.dmaEntryLimit', 'vms.0.memoryBytes', 'vms.0.vcpus', 'durationMs', 'seed'];

const anyValue = fc.oneof(fc.jsonValue(), fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true }));

describe('the scenario loader answers every input with a scenario or path: message lines', () => {
  it('random JSON values as the scenario', () => {
    fc.assert(
      fc.property(anyValue, (value) => expectAnswer(() => loadRunnableScenario({ value }))),
      { numRuns: 300 },
    );
  });

  it('random text, JSON text and YAML text (valid and broken)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.json(),
      fc.jsonValue().map((v) => stringify(v)),
      fc
        .tuple(
          fc.jsonValue().map((v) => stringify({ name: 'x', extra: v })),
          fc.string({ maxLength: 20 }),
          fc.nat(),
        )
        .map(([y, junk, at]) => y.slice(0, at % (y.length + 1)) + junk + y.slice(at % (y.length + 1))),
    );
    fc.assert(
      fc.property(text, (t) => expectAnswer(() => loadRunnableScenario({ text: t }))),
      { numRuns: 300 },
    );
  }, 60_000);

  it('random overrides on a valid scenario', () => {
    const override = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc
        .tuple(fc.constantFrom(...NUMBER_PATHS, 'workload', 'vms.0', 'faults.0', 'claims', 'a.b.c'), fc.json())
        .map(([p, v]) => `${p}=${v}`),
    );
    fc.assert(
      fc.property(fc.array(override, { maxLength: 5 }), (overrides) =>
        expectAnswer(() => loadRunnableScenario({ value: { name: 'x' } }, overrides)),
      ),
      { numRuns: 300 },
    );
  });

  it('numbers near 2^53 and 2^64, as numbers and hex strings, in number fields and ops arguments', () => {
    const value = fc.constantFrom(...NEAR_LIMITS);
    fc.assert(
      fc.property(fc.constantFrom(...NUMBER_PATHS), value, value, (path, v, w) => {
        const [head, ...rest] = path.split('.');
        const scenario: Record<string, unknown> = { name: 'x' };
        let node: Record<string, unknown> | unknown[] = scenario;
        const keys = [head!, ...rest];
        keys.forEach((k, i) => {
          const last = i === keys.length - 1;
          const next: unknown = last ? v : /^\d+$/.test(keys[i + 1]!) ? [] : {};
          (node as Record<string, unknown>)[k] = next;
          if (!last) node = next as Record<string, unknown>;
        });
        expectAnswer(() => loadRunnableScenario({ value: scenario }));
        const ops = {
          name: 'x',
          vms: [{ viommu: { model: 'none' } }],
          workload: { kind: 'ops', steps: [{ op: 'vfio.map', args: { iova: v, size: w, vaddr: 0 } }] },
        };
        expectAnswer(() => loadRunnableScenario({ value: ops }));
        expectAnswer(() => loadRunnableScenario({ text: JSON.stringify(ops) }));
      }),
      { numRuns: 200 },
    );
  });

  it('deep nesting, up to 100,000 levels, in values, JSON, YAML and overrides', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 60, max: 70 }), fc.constant(100_000)),
        fc.constantFrom(null, 'a', 'steps'),
        fc.constantFrom('workload', 'vms', 'host', 'claims'),
        (depth, key, field) => {
          const deep = nested(depth, 1, key);
          expectAnswer(() => loadRunnableScenario({ value: { name: 'x', [field]: deep } }));
          const open = key === null ? '[' : `{"${key}":`;
          const close = key === null ? ']' : '}';
          expectAnswer(() => loadRunnableScenario({ text: `{"name":"x","${field}":${open.repeat(depth)}1${close.repeat(depth)}}` }));
          expectAnswer(() => loadRunnableScenario({ text: `name: x\n${field}: ${'['.repeat(depth)}1${']'.repeat(depth)}\n` }));
          expectAnswer(() => loadRunnableScenario({ value: { name: 'x' } }, [`${field}=${'['.repeat(depth)}1${']'.repeat(depth)}`]));
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it('huge arrays where the schema has short ones', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('vms', 'faults', 'claims', 'workload.steps', 'vms.0.devices'),
        fc.integer({ min: 0, max: 200_000 }),
        fc.constantFrom({}, 1, null, 'x', { op: 'vfio.map' }),
        (field, length, item) => {
          const list = Array.from({ length }, () => item);
          const scenario: Record<string, unknown> = { name: 'x' };
          if (field === 'workload.steps') scenario['workload'] = { kind: 'ops', steps: list };
          else if (field === 'vms.0.devices') scenario['vms'] = [{ devices: list }];
          else scenario[field] = list;
          expectAnswer(() => loadRunnableScenario({ value: scenario }));
        },
      ),
      { numRuns: 12 },
    );
  });
});
