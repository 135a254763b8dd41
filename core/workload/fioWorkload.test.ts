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

describe('fio with scattered buffers (sgElements)', () => {
  function sgRun(sgElements: number, iotlbSyncMap: boolean, hypervisor: 'kvm' | 'bare-metal' = 'kvm') {
    const r = loadRunnableScenario({
      value: {
        name: 'fio-sg',
        durationMs: 2,
        host: { hypervisor },
        vms: [
          {
            vcpus: 1,
            viommu: { model: hypervisor === 'kvm' ? 'virtio-iommu' : 'none', virtio: { iotlbSyncMap } },
            guest: { dmaMode: 'lazy' },
            devices: [{ name: 'nvme0', kind: 'nvme' }],
          },
        ],
        workload: { kind: 'fio', rw: 'randwrite', blockSizeBytes: 64 * 1024, iodepth: 4, numjobs: 1, sgElements },
      },
    });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    return new ScenarioRun(r.scenario).runToEnd().metrics;
  }

  it('dma-iommu maps the elements of a request with one dma_map_sg: one MAP request per element, one kick', () => {
    const m = sgRun(4, true);
    expect(m['io.completed']).toBeGreaterThan(0);
    expect(m['dma.maps']).toBeGreaterThanOrEqual(m['io.completed']!);
    // Each map sends 4 MAP requests; lazily queued UNMAPs ride on the same kicks.
    expect(m['viommu.kicks']).toBeLessThan(1.2 * m['dma.maps']!);
    expect(m['viommu.vfioMaps']).toBeGreaterThanOrEqual(4 * m['dma.maps']!);
  });

  it('a guest without iotlb_sync_map kicks once per element', () => {
    const m = sgRun(4, false);
    expect(m['viommu.kicks']).toBeGreaterThanOrEqual(4 * m['dma.maps']!);
  });

  it('a bare-metal host runs the same fio with no QEMU: no exits, dma-direct', () => {
    const m = sgRun(4, true, 'bare-metal');
    expect(m['io.completed']).toBeGreaterThan(0);
    expect(m['vmexits'] ?? 0).toBe(0);
  });

  it('refuses elements that are not page multiples, naming the field', () => {
    const r = loadRunnableScenario({
      value: { name: 'bad', workload: { kind: 'fio', blockSizeBytes: 8192, sgElements: 4 } },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).toMatch(/workload\.sgElements/);
  });
});

describe('fio jobs on vCPUs', () => {
  it('job j runs on vCPU j % vcpus: every map and unmap of a job is on its vCPU lane, and every job runs', () => {
    const r = loadRunnableScenario({
      value: {
        name: 'fio-jobs',
        durationMs: 1,
        vms: [{ name: 'vm0', vcpus: 2, devices: [{ name: 'nvme0', kind: 'nvme' }] }],
        workload: { kind: 'fio', rw: 'randrw', blockSizeBytes: 4096, iodepth: 3, numjobs: 5 },
      },
    });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const run = new ScenarioRun(r.scenario);
    run.runToEnd();
    const cols = run.timeline();
    const jobs = new Set<number>();
    let checked = 0;
    for (let i = 0; i < cols.count; i++) {
      const kind = cols.kinds[cols.kind[i]!]!.name;
      if (kind !== 'dma.map' && kind !== 'dma.unmap') continue;
      const job = cols.a2[i]!;
      jobs.add(job);
      expect(cols.lanes[cols.lane[i]!]!.name).toBe(`vm0.cpu${job % 2}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    expect([...jobs].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
