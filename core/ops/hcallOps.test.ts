import { describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../scenario/schema';
import { loadScenario } from '../scenario/loadScenario';
import { ScenarioRun } from '../run/scenarioRun';
import { metricInfo } from '../run/metricCatalog';

// hcall.* and rtas.* ops scripts run end to end (what `pcilab run` does with an ops scenario): every
// "done when" item of the sPAPR issue, as a script's results.

type Steps = Extract<NonNullable<ScenarioInput['workload']>, { kind: 'ops' }>['steps'];

function run(steps: Steps, spapr: Record<string, unknown> = {}, hypervisor = 'powernv', model = 'spapr-tce') {
  const backend = 'spapr-tce-v2';
  const input = {
    name: 'hcall-ops',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend } },
    vms: [{ name: 'vm0', viommu: { model, spapr: { guestDisableDdw: true, ...spapr } }, devices: [{ name: 'nvme0' }] }],
    workload: { kind: 'ops', steps },
  } as ScenarioInput;
  const loaded = loadScenario({ value: input });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  return new ScenarioRun(loaded.scenario).runToEnd();
}

describe('ops scripts of TCE hypercalls and DDW RTAS calls', () => {
  it('H_PARAMETER for an unknown LIOBN and for an index past the table', () => {
    const r = run([
      { op: 'hcall.H_PUT_TCE', args: { liobn: '0x1234', ioba: 0, tce: '0x10000003' } },
      { op: 'hcall.H_PUT_TCE', args: { liobn: '0x80000000', ioba: '0x40000000', tce: '0x10000003' } },
      { op: 'hcall.H_PUT_TCE', args: { liobn: '0x80000000', ioba: '0x3ffff000', tce: '0x10000003' } },
    ]);
    expect(r.ops.map((o) => o.errno)).toEqual(['H_PARAMETER', 'H_PARAMETER', null]);
  });

  it('a partial H_PUT_TCE_INDIRECT keeps the entries before the bad one (QEMU serving the call)', () => {
    const r = run(
      [
        {
          op: 'hcall.H_PUT_TCE_INDIRECT',
          args: { liobn: '0x80000000', ioba: '0x3fffd000', list: ['0x1000003', '0x1001003', '0x1002003', '0x1003003', '0x1004003'] },
        },
        { op: 'hcall.H_GET_TCE', args: { liobn: '0x80000000', ioba: '0x3fffd000' } },
        { op: 'hcall.H_GET_TCE', args: { liobn: '0x80000000', ioba: '0x3ffff000' } },
      ],
      { inKernelTce: false },
    );
    expect(r.ops[0]).toMatchObject({ ok: false, errno: 'H_PARAMETER', ret: 3 });
    expect(r.ops[1]!.ret).toBe(0x100_0003);
    expect(r.ops[2]!.ret).toBe(0x100_2003);
  });

  it('H_PUT_TCE_INDIRECT: n > 512 and a list not 4 KiB aligned are H_PARAMETER; count beyond the list reads zeros', () => {
    const r = run([
      { op: 'hcall.H_PUT_TCE_INDIRECT', args: { liobn: '0x80000000', ioba: 0, list: ['0x1000003'], count: 513 } },
      { op: 'hcall.H_PUT_TCE_INDIRECT', args: { liobn: '0x80000000', ioba: 0, list: ['0x1000003'], listGpa: '0x2000008' } },
      { op: 'hcall.H_PUT_TCE_INDIRECT', args: { liobn: '0x80000000', ioba: 0, list: ['0x1000003'], count: 3 } },
    ]);
    expect(r.ops.map((o) => o.errno)).toEqual(['H_PARAMETER', 'H_PARAMETER', null]);
    expect(r.ops[2]!.ret).toBe(3);
  });

  it('RTAS PARAM_ERROR for window_shift < page_shift, HW_ERROR for a third window, the DDW at 2^59', () => {
    const r = run([
      { op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 16, windowShift: 12 } },
      { op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 16, windowShift: 33 } },
      { op: 'rtas.ibm,create-pe-dma-window', args: { pageShift: 12, windowShift: 30 } },
      { op: 'rtas.ibm,query-pe-dma-window', args: {} },
      { op: 'rtas.ibm,remove-pe-dma-window', args: { liobn: '0x80000001' } },
      { op: 'rtas.ibm,reset-pe-dma-window', args: { pe: 0 } },
      { op: 'rtas.ibm,query-pe-dma-window', args: { pe: 5 } },
    ]);
    expect(r.ops.map((o) => o.errno)).toEqual(['RTAS_PARAM_ERROR', null, 'RTAS_HW_ERROR', null, null, null, 'RTAS_PARAM_ERROR']);
    expect(r.ops[1]!.ret).toEqual({ liobn: 0x8000_0001, base: '0x800000000000000' });
    // pgsz 4K|64K|2M|16M (pseries-4.2 and newer), reported with 2M from QEMU 7.1: 0x107.
    expect(r.ops[3]!.ret).toEqual({ avail: 0, largestBlock: 0x8000_0000, pageMask: 0x107 });
  });

  it('H_STUFF_TCE returns how many TCEs it wrote', () => {
    const r = run([{ op: 'hcall.H_STUFF_TCE', args: { liobn: '0x80000000', ioba: 0, value: 0, count: 7 } }]);
    expect(r.ops[0]).toMatchObject({ ok: true, ret: 7 });
  });

  it('a guest that is not a pseries guest (x86, no sPAPR vIOMMU) has no TCE hypercall (H_FUNCTION)', () => {
    const loaded = loadScenario({
      value: {
        name: 'x86-hcall',
        workload: { kind: 'ops', steps: [{ op: 'hcall.H_PUT_TCE', args: { liobn: '0x80000000', ioba: 0, tce: 3 } }] },
      },
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const run = new ScenarioRun(loaded.scenario);
    expect(run.runToEnd().ops[0]!.errno).toBe('H_FUNCTION');
    // The failure says why: its cause is the refusal's reason.
    const tl = run.timeline();
    const failed = Array.from({ length: tl.count }, (_, i) => i).find((i) => tl.kinds[tl.kind[i]!]!.failure)!;
    const why = tl.cause[failed]!;
    expect(tl.kinds[tl.kind[why]!]!.name).toBe('ops.hcall.H_PUT_TCE.refused');
    expect(tl.strings[tl.a0[why]!]).toBe('no VM has spapr-tce vIOMMU, so the TCE hypercalls are not registered (H_FUNCTION)');
  });

  it('a pseries guest always has the sPAPR vIOMMU: "none" is refused, and it is the default', () => {
    const none = loadScenario({ value: { name: 'ppc-none', host: { arch: 'ppc64le' }, vms: [{ viommu: { model: 'none' } }] } });
    expect(none.ok ? [] : none.problems).toContain(
      'vms.0.viommu.model: a pseries guest always translates DMA through sPAPR TCE windows: use "spapr-tce", not "none"',
    );
    const dflt = loadScenario({ value: { name: 'ppc-default', host: { arch: 'ppc64le' } } });
    expect(dflt.ok && dflt.scenario.vms[0]!.viommu.model).toBe('spapr-tce');
    expect(dflt.ok && dflt.scenario.host.vfio.backend).toBe('spapr-tce-v2');
  });

  it('a repeated step takes the sum of its calls, not a quadratic pile-up', () => {
    const r = run([{ op: 'hcall.H_PUT_TCE', args: { liobn: '0x80000000', ioba: 0, tce: 3 }, repeat: { count: 100, add: { ioba: 4096 } } }]);
    expect(r.simulatedNs).toBeLessThan(100 * 10_000);
  });

  it('nested runs report the nested API and the L0 hops; every metric is in the catalog', () => {
    const r = run([{ op: 'hcall.H_PUT_TCE', args: { liobn: '0x80000000', ioba: 0, tce: 3 } }], {}, 'powervm-nested');
    expect(r.metrics['hcall.H_GUEST_RUN_VCPU']).toBe(1);
    expect(r.metrics['nested.l0.H_PUT_TCE']).toBe(1);
    expect(r.metrics['hcall.H_GUEST_CREATE']).toBe(1);
    expect(Object.keys(r.metrics).filter((k) => metricInfo(k) === undefined)).toEqual([]);
  });
});
