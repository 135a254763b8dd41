import { describe, expect, it } from 'vitest';
import { loadRunnableScenario } from '../run/scenarioChecks';
import { ScenarioRun } from '../run/scenarioRun';

const X86 = { vms: [{ vcpus: 2, viommu: { model: 'intel-iommu' }, devices: [{ name: 'nvme0' }] }] };
// s390 KVM with QEMU 7.1's RPCIT shadow: a map the shadow cannot back fails in the guest (-ENOMEM).
const S390 = {
  host: { arch: 's390x', hypervisor: 'kvm' },
  vms: [{ vcpus: 2, viommu: { model: 's390-zpci', s390: { apertureRestriction: false } }, devices: [{ name: 'dev0', kind: 'generic' }] }],
};

function run(ops: number[][], set: string[] = [], host: object = X86) {
  const loaded = loadRunnableScenario(
    {
      value: {
        name: 'trace',
        durationMs: 50,
        ...host,
        workload: {
          kind: 'dma-trace',
          source: 't',
          ops,
          markNames: ['cpu0 qi_submit iotlb-page', 'qemu vtd_inv_desc_iotlb_pages'],
          marks: [
            [5, 0, 6],
            [7, 1, 0],
          ],
        },
      },
    },
    set,
  );
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const r = new ScenarioRun(loaded.scenario);
  return { result: r.runToEnd(), tl: r.timeline() };
}

describe('dma-trace workload', () => {
  it('replays traced maps and unmaps at their times on their vCPUs, with the real events beside them', () => {
    const { result, tl } = run([
      [1000, 1, 0, 262144, 7],
      [2000, 0, 0, 4096, 8],
      [900_000, 1, 1, 262144, 7],
    ]);
    expect(result.metrics['trace.maps']).toBe(2);
    expect(result.metrics['trace.unmaps']).toBe(1);
    expect(result.metrics['trace.liveMapsPeak']).toBe(2);
    // Caching mode: one page-selective invalidation per map, one per strict unmap.
    expect(result.metrics['viommu.invalidations.psi']).toBe(3);
    const lanes = tl.lanes.map((l) => l.name);
    expect(lanes).toEqual(expect.arrayContaining(['trace.cpu0', 'trace.cpu1', 'trace.qemu', 'vm0.cpu0', 'vm0.cpu1']));
    const mapKind = tl.kinds.findIndex((k) => k.name === 'replay.map');
    const times: number[] = [];
    for (let i = 0; i < tl.count; i++) if (tl.kind[i] === mapKind) times.push(tl.t[i]!);
    expect(times).toEqual([1000, 2000]);
  });

  it('a map the host refuses is a failure and its unmap is skipped', () => {
    const { result } = run(
      [
        [0, 0, 0, 8192, 1],
        [10, 0, 0, 8192, 2],
        [20, 0, 1, 8192, 2],
      ],
      ['host.vfio.dmaEntryLimit=3'],
      S390,
    );
    expect(result.metrics['trace.mapFailures']).toBe(1);
    expect(result.metrics['trace.skippedUnmaps']).toBe(1);
  });

  it('the schema refuses ops out of order and unmaps of ids that are not live', () => {
    const load = (ops: number[][]) => loadRunnableScenario({ value: { name: 't', workload: { kind: 'dma-trace', ops } } });
    expect(
      load([
        [5, 0, 0, 4096, 1],
        [1, 0, 1, 4096, 1],
      ]).ok,
    ).toBe(false);
    expect(load([[0, 0, 1, 4096, 3]]).ok).toBe(false);
    expect(
      load([
        [0, 0, 0, 4096, 3],
        [1, 0, 1, 4096, 3],
      ]).ok,
    ).toBe(true);
  });
});
