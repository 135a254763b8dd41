import { describe, expect, it } from 'vitest';
import type { ParameterInfo } from '../../../core/contract/catalog';
import { catalogPaths, defaultOf, describeValue, unitFromName } from './fieldDefaults';
import { fieldAt } from './jsonSchema';
import { FIXTURE } from './schemaFixture.testkit';

const PARAMS: ParameterInfo[] = [
  {
    path: 'host.vfio.dmaEntryLimit',
    defaultValue: 65535,
    unit: 'mappings',
    mirrors: 'vfio_iommu_type1.dma_entry_limit',
    source: 'L vfio_iommu_type1.c (U16_MAX)',
  },
  { path: 'vms[].memoryBytes', defaultValue: 8 * 1024 ** 3, unit: 'bytes', mirrors: 'QEMU -m', source: 'assumption' },
  { path: 'workload.fio.blockSizeBytes', defaultValue: 4096, unit: 'bytes', mirrors: 'fio --bs', source: 'fio default' },
];

const field = (segments: (string | number)[]) => fieldAt(FIXTURE, segments, (p) => (p.join('.') === 'workload.kind' ? 'fio' : undefined))!;

describe('defaults shown with their source', () => {
  it("maps scenario paths to the catalog's names", () => {
    expect(catalogPaths(['vms', 2, 'memoryBytes'])).toEqual(['vms[].memoryBytes']);
    expect(catalogPaths(['workload', 'blockSizeBytes'], 'fio')).toEqual(['workload.fio.blockSizeBytes', 'workload.blockSizeBytes']);
  });
  it('takes value, unit and source from the catalog when it lists the field', () => {
    expect(defaultOf(field(['host', 'vfio', 'dmaEntryLimit']), PARAMS)).toEqual({
      unit: 'mappings',
      text: '65,535 mappings',
      source: 'L vfio_iommu_type1.c (U16_MAX)',
      mirrors: 'vfio_iommu_type1.dma_entry_limit',
    });
    expect(defaultOf(field(['vms', 1, 'memoryBytes']), PARAMS).text).toBe('8 GiB (8,589,934,592 bytes)');
    expect(defaultOf(field(['workload', 'blockSizeBytes']), PARAMS, 'fio').source).toBe('fio default');
  });
  it('falls back to the schema default with the unit from the field name', () => {
    expect(defaultOf(field(['durationMs']), PARAMS)).toMatchObject({ unit: 'ms', text: '1 s', source: 'scenario schema default' });
    expect(defaultOf(field(['host', 'vfio', 'memlockBytes']), PARAMS)).toMatchObject({ unit: 'bytes', text: null, source: 'optional' });
    expect(defaultOf(field(['name']), PARAMS)).toMatchObject({ text: null, source: 'required' });
  });
  it('reads units from names and describes values readably', () => {
    expect(unitFromName('perCpuTimeoutMs')).toBe('ms');
    expect(unitFromName('bandwidthMBps')).toBe('MB/s');
    expect(unitFromName('vcpus')).toBe('');
    expect(describeValue(16, 'log2 bytes')).toBe('16 (2^16 = 64 KiB)');
    expect(describeValue('0x10000', 'bytes')).toBe('0x10000 (64 KiB)');
  });
});
