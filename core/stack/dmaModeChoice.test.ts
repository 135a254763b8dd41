// The DMA mode Linux picks and why it says so (dma.mode event, dma.domains* metrics): an explicit
// mode wins, intel-iommu caching mode forces strict against the lazy default (Linux >= 5.11), the
// command line and the Kconfig default decide otherwise, and a shadowing vIOMMU gets the single queue.
import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../scenario/schema';
import { chooseDmaModeWhy } from './dmaModeChoice';
import { ScenarioRun } from '../run/scenarioRun';

function x86(vm: Record<string, unknown>) {
  return ScenarioSchema.parse({
    name: 'mode',
    durationMs: 1,
    host: { arch: 'x86_64' },
    vms: [{ name: 'vm0', devices: [{ name: 'nvme0', kind: 'nvme' }], ...vm }],
    workload: { kind: 'fio', device: 'nvme0' },
  });
}
const intel = (cachingMode: boolean) => ({ model: 'intel-iommu', intel: { cachingMode } });

describe('chooseDmaModeWhy', () => {
  it('caching mode forces strict against the lazy default, and says why', () => {
    const s = x86({ viommu: intel(true) });
    const c = chooseDmaModeWhy(s, s.vms[0]!, false);
    expect(c).toMatchObject({ mode: 'strict', forced: true });
    expect(c.why).toContain('IOMMU batching disallowed due to virtualization');
  });

  it('is not forced when strict was asked for anyway, or when the scenario sets the mode', () => {
    const s = x86({ viommu: intel(true), guest: { kernelParams: { 'iommu.strict': 1 } } });
    expect(chooseDmaModeWhy(s, s.vms[0]!, false)).toMatchObject({ mode: 'strict', forced: false });
    const e = x86({ viommu: intel(true), guest: { dmaMode: 'lazy' } });
    expect(chooseDmaModeWhy(e, e.vms[0]!, false)).toMatchObject({ mode: 'lazy', forced: false });
  });

  it('takes the lazy default, per-CPU or the single queue for a shadowing vIOMMU', () => {
    const s = x86({ viommu: intel(false) });
    expect(chooseDmaModeWhy(s, s.vms[0]!, false)).toMatchObject({ mode: 'lazy', forced: false });
    const single = chooseDmaModeWhy(s, s.vms[0]!, true);
    expect(single.mode).toBe('lazy-single');
    expect(single.why).toContain('iommu_dma_init_options');
  });
});

describe('the mode in effect in a run', () => {
  it('is a dma.mode event with its reason, and counted in dma.domains* metrics', () => {
    const run = new ScenarioRun(x86({ viommu: intel(true) }));
    const m = run.runToEnd().metrics;
    expect([m['dma.domainsStrict'], m['dma.domainsForcedStrict'], m['dma.domainsLazy']]).toEqual([1, 1, 0]);
    const tl = run.timeline();
    const i = Array.from({ length: tl.count }, (_, k) => k).find((k) => tl.kinds[tl.kind[k]!]!.name === 'dma.mode')!;
    expect(tl.strings[tl.a0[i]!]).toBe('strict');
    expect(tl.strings[tl.a1[i]!]).toContain('caching mode');
    expect(tl.a2[i]).toBe(1);
  });
});
