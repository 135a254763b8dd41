import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from './jsonSchema';

describe('the exported JSON Schema', () => {
  it('documents fields with the kernel parameter or QEMU option they mirror', () => {
    const schema = scenarioJsonSchema() as {
      properties: { host: { properties: { vfio: { properties: Record<string, { mirrors?: string }> } } } };
    };
    expect(schema.properties.host.properties.vfio.properties['dmaEntryLimit']!.mirrors).toBe('vfio_iommu_type1.dma_entry_limit');
  });

  it('requires only the name at the top level', () => {
    expect((scenarioJsonSchema() as { required: string[] }).required).toEqual(['name']);
  });
});
