// The scenario loader never throws on bad input: any text (JSON, YAML, garbage), any JSON value,
// deep nesting, huge arrays, numbers near 2^53 and 2^64 in numeric fields and random --set
// overrides are answered with a scenario or with one `path: message` line per problem.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, type LoadResult } from './loadScenario';

/** One line, "where: what" (a path, or "(scenario)" for the whole text). */
const PROBLEM_LINE = /^[^\s:][^\n]*?: [^\n]+$/;

function expectAnswered(r: LoadResult): void {
  if (r.ok) return;
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) expect(p, p).toMatch(PROBLEM_LINE);
}

const BASE = {
  name: 'prop',
  durationMs: 1,
  vms: [{ name: 'vm0', devices: [{ name: 'nvme0', kind: 'nvme' }] }],
  workload: { kind: 'fio', device: 'nvme0' },
};

/** Numbers at the edges the loader must answer for, not crash on. */
const edgy = fc.oneof(
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 2 ** 64 - 2048, -(2 ** 53), Number.MAX_VALUE, -0, 0.5, 1e308),
  fc.double(),
  fc.constantFrom('0x10000000000000000', '0xffffffffffffffff', '0x1fffffffffffff', '-0x1', '0x', ''),
);

describe('loadScenario answers any input', () => {
  it('any text: a scenario or path: message lines', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: 'binary' })), (text) => {
        expectAnswered(loadScenario({ text }));
      }),
      { numRuns: 300 },
    );
  });

  it('any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectAnswered(loadScenario({ value }));
      }),
      { numRuns: 300 },
    );
  });

  it('edge numbers in the numeric fields of a valid scenario', () => {
    const paths = ['durationMs', 'seed', 'host.vfio.dmaEntryLimit', 'host.vfio.memlockBytes', 'vms.0.vcpus', 'vms.0.memoryBytes'];
    fc.assert(
      fc.property(fc.constantFrom(...paths), edgy, (path, v) => {
        const value = structuredClone(BASE) as Record<string, unknown>;
        const keys = path.split('.');
        let at: Record<string, unknown> = value;
        for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
        at[keys[keys.length - 1]!] = v;
        expectAnswered(loadScenario({ value }));
      }),
      { numRuns: 300 },
    );
  });

  it('random --set overrides on a valid scenario', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.tuple(fc.string(), fc.string()).map(([k, v]) => `${k}=${v}`),
          ),
          { maxLength: 4 },
        ),
        (sets) => {
          expectAnswered(loadScenario({ value: BASE }, sets));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('deep nesting and huge arrays, as text and as values', () => {
    for (const depth of [65, 1000, 100_000]) {
      const text = '['.repeat(depth) + ']'.repeat(depth);
      expectAnswered(loadScenario({ text }));
      expectAnswered(loadScenario({ text: `{"name":"x","workload":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}` }));
    }
    const huge = { ...BASE, vms: Array.from({ length: 100_000 }, (_, i) => ({ name: `vm${i}` })) };
    expectAnswered(loadScenario({ value: huge }));
    expectAnswered(
      loadScenario({ text: JSON.stringify({ ...BASE, workload: { kind: 'ops', steps: Array(200_000).fill({ op: 'vfio.getInfo' }) } }) }),
    );
  });
});
