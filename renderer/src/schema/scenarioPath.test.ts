import { describe, expect, it } from 'vitest';
import { reactive, watch } from 'vue';
import { freshName, getAt, markExplicit, setAt, unsetAt } from './scenarioPath';

describe('editing one value of a scenario by path', () => {
  it('reads and writes through objects and lists, keys with dots included', () => {
    const s: Record<string, unknown> = { vms: [{ name: 'vm0' }] };
    setAt(s, ['vms', 0, 'guest', 'kernelParams', 'iommu.strict'], 1);
    expect(getAt(s, ['vms', 0, 'guest', 'kernelParams', 'iommu.strict'])).toBe(1);
    expect(s).toEqual({ vms: [{ name: 'vm0', guest: { kernelParams: { 'iommu.strict': 1 } } }] });
    setAt(s, ['workload', 'steps', 0, 'op'], 'vfio.map');
    expect(s['workload']).toEqual({ steps: [{ op: 'vfio.map' }] });
    expect(getAt(s, ['host', 'vfio', 'backend'])).toBeUndefined();
  });

  it('unsetting falls back to the default: the key and the objects left empty go, list items stay', () => {
    const s: Record<string, unknown> = {
      vms: [{ guest: { kernelParams: { 'iommu.strict': 1 } } }],
      host: { vfio: { dmaEntryLimit: 5, backend: 'type1v1' } },
    };
    unsetAt(s, ['vms', 0, 'guest', 'kernelParams', 'iommu.strict']);
    expect(s['vms']).toEqual([{}]);
    unsetAt(s, ['host', 'vfio', 'dmaEntryLimit']);
    expect(s['host']).toEqual({ vfio: { backend: 'type1v1' } });
    unsetAt(s, ['host', 'vfio', 'backend']);
    expect(s).toEqual({ vms: [{}] });
    unsetAt(s, ['nothing', 'here']);
    expect(s).toEqual({ vms: [{}] });
  });

  it('names new items after the first free number', () => {
    expect(freshName('vm', ['vm0', 'vm2'])).toBe('vm1');
    expect(freshName('nvme', [])).toBe('nvme0');
  });
});

describe('edits in a reactive scenario', () => {
  it('are seen by a deep watcher, also writes into objects created on the way', () => {
    const s = reactive<Record<string, unknown>>({ name: 'x' });
    const seen: unknown[] = [];
    watch(s, () => seen.push(getAt(s, ['host', 'vfio', 'dmaEntryLimit'])), { deep: true, flush: 'sync' });
    setAt(s, ['host', 'vfio', 'dmaEntryLimit'], 0);
    setAt(s, ['host', 'vfio', 'dmaEntryLimit'], 1024);
    expect(seen.at(-1)).toBe(1024);
  });

  it('an edit of a switch the versions filled makes it explicit (it leaves impliedByVersions), other entries stay', () => {
    const s: Record<string, unknown> = {
      impliedByVersions: ['vms.0.viommu.s390.rpcitSecondPass', 'vms.0.viommu.spapr.pageShifts', 'host.vfio.iovaRangeCheck'],
    };
    markExplicit(s, ['vms', 0, 'viommu', 's390', 'rpcitSecondPass']);
    markExplicit(s, ['vms', 0, 'viommu', 'spapr', 'pageShifts', 1]);
    markExplicit(s, ['host', 'qemu', 'version']);
    expect(s['impliedByVersions']).toEqual(['host.vfio.iovaRangeCheck']);
    markExplicit(s, ['host']);
    expect(s['impliedByVersions']).toEqual([]);
  });
});
