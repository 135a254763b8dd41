import { describe, expect, it } from 'vitest';
import { expandExperiment, gridVariants, MAX_EXPERIMENT_VARIANTS } from './experimentVariants';
import { LabError } from './labError';

describe('experiment variants', () => {
  it('expands grid axes into their cartesian product, named after their overrides', () => {
    const v = gridVariants([
      { path: 'durationMs', values: [1, 2] },
      { path: 'vms.0.guest.dmaMode', values: ['strict', 'lazy', '5'] },
    ]);
    expect(v.map((x) => x.name)).toEqual([
      'durationMs=1,vms.0.guest.dmaMode=strict',
      'durationMs=1,vms.0.guest.dmaMode=lazy',
      'durationMs=1,vms.0.guest.dmaMode=5',
      'durationMs=2,vms.0.guest.dmaMode=strict',
      'durationMs=2,vms.0.guest.dmaMode=lazy',
      'durationMs=2,vms.0.guest.dmaMode=5',
    ]);
    // A string that reads as JSON stays a string through --set.
    expect(v[2]!.set).toEqual(['durationMs=1', 'vms.0.guest.dmaMode="5"']);
    expect(gridVariants([])).toEqual([]);
  });

  it('refuses a grid larger than an experiment may be', () => {
    const axis = (path: string) => ({ path, values: Array.from({ length: 17 }, (_, i) => i) });
    expect(() => gridVariants([axis('a'), axis('b')])).toThrow(String(MAX_EXPERIMENT_VARIANTS));
  });

  it('validates every variant with the scenario loader: explicit variants first, then the grid', () => {
    const { variants, prepared } = expandExperiment({
      name: 'e',
      base: { preset: 'quickstart-nvme-fio' },
      variants: [{ name: 'short', set: ['durationMs=1'] }],
      grid: [{ path: 'seed', values: [1, 2] }],
    });
    expect(variants.map((v) => v.name)).toEqual(['short', 'seed=1', 'seed=2']);
    expect(prepared.every((p) => p.ok)).toBe(true);
  });

  it('rejects a bad override naming the variant and the field', () => {
    const err = (() => {
      try {
        expandExperiment({ name: 'e', base: { preset: 'quickstart-nvme-fio' }, grid: [{ path: 'vms.0.vcpus', values: [2, 0] }] });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('invalid-scenario');
    expect((err as LabError).problems).toEqual([expect.stringMatching(/^variant "vms\.0\.vcpus=0": vms\.0\.vcpus: /)]);
  });

  it('rejects duplicate variant names and a bad base', () => {
    expect(() =>
      expandExperiment({
        name: 'e',
        base: { preset: 'quickstart-nvme-fio' },
        variants: [
          { name: 'a', set: [] },
          { name: 'a', set: [] },
        ],
      }),
    ).toThrow('duplicate variant name');
    expect(() => expandExperiment({ name: 'e', base: { preset: 'nope' }, variants: [{ name: 'a', set: [] }] })).toThrow(/^base: no preset/);
  });
});
