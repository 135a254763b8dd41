import { describe, expect, it } from 'vitest';
import { describeBounds, fieldAt, fieldsOf, nodeAt, taggedBranch, taggedKinds, type JsonSchema } from './jsonSchema';
import { FIXTURE } from './schemaFixture.testkit';

const props = FIXTURE.properties!;

function field(segments: (string | number)[]) {
  return fieldAt(FIXTURE, segments, () => undefined)!;
}

describe('schema nodes read as editor fields', () => {
  it("lists an object's properties in schema order with their paths", () => {
    const fields = fieldsOf(FIXTURE, FIXTURE, []);
    expect(fields.map((f) => f.path)).toEqual(['name', 'durationMs', 'host', 'vms', 'workload', 'faults', 'costs', 'refd']);
    expect(fields[0]).toMatchObject({ kind: 'text', required: true, hasDefault: false });
    expect(fields[1]).toMatchObject({ kind: 'number', bounds: { min: 0, minExclusive: true, max: 3600000 }, defaultValue: 1000 });
  });

  it('classifies each shape the zod schema produces', () => {
    expect(field(['host', 'arch'])).toMatchObject({ kind: 'choice', choices: ['x86_64', 's390x', 'ppc64le'] });
    expect(field(['host', 'vfio', 'dmaEntryLimit'])).toMatchObject({ kind: 'integer', mirrors: 'vfio_iommu_type1.dma_entry_limit' });
    expect(field(['host', 'vfio', 'memlockBytes'])).toMatchObject({ kind: 'u64', nullable: true, hasDefault: false });
    expect(field(['host', 'vfio', 'disableHugepages']).kind).toBe('flag');
    expect(field(['host', 'spapr', 'pageShifts']).kind).toBe('numberList');
    expect(field(['host', 'spapr', 'hostPageShift'])).toMatchObject({ kind: 'choice', choices: [12, 16], defaultValue: 16 });
    expect(field(['host', 'vfio']).kind).toBe('group');
    expect(field(['vms']).kind).toBe('list');
    expect(field(['vms', 0, 'memoryBytes'])).toMatchObject({ kind: 'u64', nullable: false, path: 'vms.0.memoryBytes' });
    expect(field(['vms', 0, 'guest', 'kernelParams', 'iommu.strict'])).toMatchObject({
      kind: 'choice',
      choices: [0, 1],
      path: 'vms.0.guest.kernelParams.iommu.strict',
    });
    expect(field(['workload']).kind).toBe('tagged');
    expect(field(['faults']).kind).toBe('list');
    expect(field(['costs']).kind).toBe('json');
  });

  it('reads required from the parent object, also inside a tagged branch', () => {
    expect(field(['name']).required).toBe(true);
    expect(field(['durationMs']).required).toBe(false);
    const ops = (p: readonly (string | number)[]) => (p.join('.') === 'workload.kind' ? 'ops' : undefined);
    expect(fieldAt(FIXTURE, ['workload', 'steps'], ops)!.required).toBe(true);
  });

  it('follows $ref to shared definitions', () => {
    expect(field(['refd'])).toMatchObject({ kind: 'flag', defaultValue: true, description: 'a shared flag' });
  });

  it('finds the branch of a tagged union that the value selects', () => {
    const workload = props['workload']!;
    expect(taggedKinds(FIXTURE, workload)).toEqual(['fio', 'ops']);
    expect(Object.keys(taggedBranch(FIXTURE, workload, 'ops')!.properties!)).toEqual(['kind', 'steps']);
    expect(fieldsOf(FIXTURE, taggedBranch(FIXTURE, workload, 'fio')!, ['workload']).map((f) => f.path)).toEqual([
      'workload.blockSizeBytes',
    ]);
    const kindOf = (p: readonly (string | number)[]) => (p.join('.') === 'workload.kind' ? 'ops' : undefined);
    expect(nodeAt(FIXTURE, ['workload', 'steps', 3, 'op'], kindOf)).toEqual({ type: 'string' });
    expect(taggedKinds(FIXTURE, props['faults']!.items as JsonSchema)).toEqual(['eeh-freeze', 'guest-reset']);
  });

  it('states the accepted range in words', () => {
    expect(describeBounds(field(['host', 'vfio', 'dmaEntryLimit']))).toBe('1 … 2,147,483,648');
    expect(describeBounds(field(['durationMs']))).toBe('> 0 … 3,600,000');
    expect(describeBounds(field(['host', 'vfio', 'disableHugepages']))).toBe('');
  });
});

describe('bounds of any non-negative integer', () => {
  it('are stated as a lower bound only', () => {
    expect(describeBounds(fieldAt(FIXTURE, ['vms', 0, 'memoryBytes'])!)).toBe('>= 0');
  });
});
