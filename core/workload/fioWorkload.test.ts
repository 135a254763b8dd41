// fio on an NVMe: a guest with the nvme-pci clamp (Linux >= 6.4) sends an IO larger than
// dma_opt_mapping_size (128 KiB under dma-iommu) as several DMA mappings; older guests, and guests
// without a vIOMMU (dma-direct gives no hint), map it whole.
import { describe, expect, it } from 'vitest';
import { loadRunnableScenario } from '../run/scenarioChecks';
import { ScenarioRun } from '../run/scenarioRun';

function run(kernel: string, viommu: 'virtio-iommu' | 'none', blockSizeBytes = 256 * 1024) {
  const r = loadRunnableScenario({
    value: {
      name: 'fio',
      durationMs: 2,
      vms: [{ vcpus: 1, viommu: { model: viommu }, guest: { kernelVersion: kernel }, devices: [{ name: 'nvme0', kind: 'nvme' }] }],
      workload: { kind: 'fio', rw: 'read', blockSizeBytes, iodepth: 4, numjobs: 1 },
    },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const run = new ScenarioRun(r.scenario);
  const m = run.runToEnd().metrics;
  const cols = run.timeline();
  const mapBytes: number[] = [];
  for (let i = 0; i < cols.count; i++) if (cols.kinds[cols.kind[i]!]!.name === 'dma.map') mapBytes.push(cols.a0[i]!);
  return { m, mapBytes };
}

describe('fio through the NVMe DMA size clamp', () => {
  it('a 6.12 guest behind a vIOMMU maps each 256 KiB read as two 128 KiB DMAs and unmaps both', () => {
    const { m, mapBytes } = run('6.12', 'virtio-iommu');
    expect(m['io.completed']).toBeGreaterThan(0);
    expect(new Set(mapBytes)).toEqual(new Set([128 * 1024]));
    expect(m['dma.maps']).toBeGreaterThanOrEqual(2 * m['io.completed']!);
    expect(m['dma.unmaps']).toBe(2 * m['io.completed']!);
  });

  it('a 6.1 guest maps each read whole', () => {
    const { m, mapBytes } = run('6.1', 'virtio-iommu');
    expect(new Set(mapBytes)).toEqual(new Set([256 * 1024]));
    expect(m['dma.unmaps']).toBe(m['io.completed']);
  });

  it('without a vIOMMU (dma-direct) there is no clamp, and IOs up to 128 KiB are one mapping either way', () => {
    expect(new Set(run('6.12', 'none').mapBytes)).toEqual(new Set([256 * 1024]));
    expect(new Set(run('6.12', 'virtio-iommu', 128 * 1024).mapBytes)).toEqual(new Set([128 * 1024]));
  });
});
