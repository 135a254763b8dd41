import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from '../../../scenario/schema';
import type { SpaprViommuOptions } from '../../../scenario/ppcSchema';
import { Simulation } from '../../../sim/simulation';
import { resolveCostTable } from '../../../sim/costTable';
import { createHostEnvironment } from '../../host/hostEnvironment';
import { DmaCall } from '../../base/dmaCall';
import { QemuVm } from '../../qemu/qemuVm';
import { VcpuSet } from '../../guestDma/vcpuSet';
import { H_PARAMETER, H_SUCCESS, RTAS_OUT_HW_ERROR, RTAS_OUT_PARAM_ERROR, RTAS_OUT_SUCCESS } from '../papr';
import { createSpaprViommu } from '../spaprViommu';

// The DDW RTAS calls (hw/ppc/spapr_rtas_ddw.c), rule by rule.

const GiB = 2 ** 30;
const DEF = 0x8000_0000;
const DDW = 0x8000_0001;

function rig(
  spapr: Partial<SpaprViommuOptions> = {},
  hypervisor: 'powernv' | 'powervm-nested' = 'powernv',
  backend: 'spapr-tce-v1' | 'spapr-tce-v2' = 'spapr-tce-v2',
) {
  const scenario = ScenarioSchema.parse({
    name: 'rtas',
    host: { arch: 'ppc64le', hypervisor, vfio: { backend } },
    vms: [{ name: 'vm0', vcpus: 1, viommu: { model: 'spapr-tce', spapr: { guestDisableDdw: true, ...spapr } }, devices: [{ name: 'd0' }] }],
  });
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const env = createHostEnvironment(scenario, sim.costs);
  const vm = scenario.vms[0]!;
  const qemu = new QemuVm(sim.costs, sim.timeline, { name: 'vm0', nested: hypervisor === 'powervm-nested' });
  const fe = createSpaprViommu({
    sim,
    costs: sim.costs,
    timeline: sim.timeline,
    scenario,
    vm,
    device: vm.devices[0]!,
    vcpus: new VcpuSet('vm0', 1),
    qemu,
    container: null,
    env,
  });
  const m = fe.machine;
  const call = () => new DmaCall(0).begin(0);
  return { m, r: m.rtas, h: m.hcalls, call, qemu };
}

describe('ibm,query-pe-dma-window', () => {
  it('reports windows available = 2 - active, largest block 0x80000000 TCEs', () => {
    const { r, call } = rig();
    expect(r.query(call(), 0)).toBe(RTAS_OUT_SUCCESS);
    expect(r.lastAvail).toBe(1);
    expect(r.lastLargestBlock).toBe(0x8000_0000);
    r.create(call(), 0, 16, 33);
    r.query(call(), 0);
    expect(r.lastAvail).toBe(0);
  });

  it('page sizes use the LoPAPR bits: 4K 0x01, 64K 0x02, 16M 0x04, 2M 0x100 (2M only from QEMU 7.1)', () => {
    expect(
      (() => {
        const { r, call } = rig({ pageShifts: [12, 16] });
        r.query(call(), 0);
        return r.lastPageMask;
      })(),
    ).toBe(0x3);
    const { r, call } = rig();
    r.query(call(), 0);
    expect(r.lastPageMask).toBe(0x1 | 0x2 | 0x100 | 0x4);
    const old = rig({ queryReports2M: false });
    old.r.query(old.call(), 0);
    expect(old.r.lastPageMask).toBe(0x1 | 0x2 | 0x4);
  });

  it('an unknown PE, or a PHB without DDW, is PARAM_ERROR', () => {
    expect(
      (() => {
        const { r, call } = rig();
        return r.query(call(), 7);
      })(),
    ).toBe(RTAS_OUT_PARAM_ERROR);
    const { r, call } = rig({ ddw: false });
    expect(r.query(call(), 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });
});

describe('ibm,create-pe-dma-window', () => {
  it('creates the second window at 2^59 with the LIOBN SPAPR_PCI_LIOBN(index, 1)', () => {
    const { r, call, h } = rig();
    expect(r.create(call(), 0, 16, 33)).toBe(RTAS_OUT_SUCCESS);
    expect(r.lastLiobn).toBe(DDW);
    expect(r.lastBase).toBe(2 ** 59);
    expect(h.putTce(call(), DDW, 2 ** 59 + (2 ** 33 - 65536), 0x1000_0003)).toBe(H_SUCCESS);
    expect(h.putTce(call(), DDW, 2 ** 59 + 2 ** 33, 0x1000_0003)).toBe(H_PARAMETER);
  });

  it('window_shift < page_shift is PARAM_ERROR', () => {
    const { r, call } = rig();
    expect(r.create(call(), 0, 16, 15)).toBe(RTAS_OUT_PARAM_ERROR);
  });

  it('a page size the PHB does not offer (pgsz) is PARAM_ERROR', () => {
    const { r, call } = rig({ pageShifts: [12, 16] });
    expect(r.create(call(), 0, 24, 34)).toBe(RTAS_OUT_PARAM_ERROR);
  });

  it('a third window is HW_ERROR; parameter errors are checked first', () => {
    const { r, call } = rig();
    r.create(call(), 0, 16, 33);
    expect(r.create(call(), 0, 16, 30)).toBe(RTAS_OUT_HW_ERROR);
    expect(r.create(call(), 0, 16, 12)).toBe(RTAS_OUT_PARAM_ERROR);
  });

  it('2^32 TCEs or more truncate nb_table (uint32) to 0: HW_ERROR', () => {
    const { r, call } = rig();
    expect(r.create(call(), 0, 12, 44)).toBe(RTAS_OUT_HW_ERROR);
    expect(r.create(call(), 0, 12, 43)).toBe(RTAS_OUT_SUCCESS);
  });

  it('with no window active the new window goes to the default base (0)', () => {
    const { r, call } = rig();
    expect(r.remove(call(), DEF)).toBe(RTAS_OUT_SUCCESS);
    expect(r.create(call(), 0, 16, 33)).toBe(RTAS_OUT_SUCCESS);
    expect(r.lastLiobn).toBe(DEF);
    expect(r.lastBase).toBe(0);
  });

  it('the host mirrors a new window with VFIO_IOMMU_SPAPR_TCE_CREATE (and an RTAS query + create to PowerVM per host PE when nested)', () => {
    const pnv = rig();
    const before = pnv.m.phbs[0]!.host.containers[0]!.windowsCreated;
    pnv.r.create(pnv.call(), 0, 16, 33);
    expect(pnv.m.phbs[0]!.host.containers[0]!.windowsCreated).toBe(before + 1);
    const nested = rig({}, 'powervm-nested');
    nested.r.create(nested.call(), 0, 16, 33);
    expect(nested.m.l0.rtas).toBe(2);
  });

  it('a window the host cannot mirror is refused HW_ERROR with nothing changed (QEMU would hw_error)', () => {
    const { r, call, m } = rig({ pageShifts: [12, 16, 24] });
    const before = JSON.stringify(m.snapshot());
    // 2^31 guest TCEs of 16M = 2^55 bytes, backed by 64K host pages: 2^39 host TCEs need more
    // index bits than the PHB has (pnv_pci_ioda2_table_alloc_pages: -EINVAL at every level count).
    expect(r.create(call(), 0, 24, 55)).toBe(RTAS_OUT_HW_ERROR);
    expect(m.phbs[0]!.host.windowFailures).toBe(1);
    expect(JSON.stringify(m.snapshot())).toBe(before);
  });
});

describe('ibm,remove-pe-dma-window and ibm,reset-pe-dma-window', () => {
  it('remove: an unknown LIOBN, or a window that is not enabled, is PARAM_ERROR', () => {
    const { r, call } = rig();
    expect(r.remove(call(), 0x1234)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(r.remove(call(), DDW)).toBe(RTAS_OUT_PARAM_ERROR);
  });

  it('remove drops the window and its TCEs: the LIOBN answers H_PARAMETER afterwards', () => {
    const { r, h, call } = rig();
    r.create(call(), 0, 16, 33);
    h.putTce(call(), DDW, 2 ** 59, 0x1000_0003);
    expect(r.remove(call(), DDW)).toBe(RTAS_OUT_SUCCESS);
    expect(h.putTce(call(), DDW, 2 ** 59, 0x1000_0003)).toBe(H_PARAMETER);
    expect(r.remove(call(), DDW)).toBe(RTAS_OUT_PARAM_ERROR);
  });

  it('reset restores the default window, empty, and drops the DDW', () => {
    const { r, h, call, m } = rig();
    r.create(call(), 0, 16, 33);
    r.remove(call(), DEF);
    expect(r.reset(call(), 0)).toBe(RTAS_OUT_SUCCESS);
    const def = m.findLiobn(DEF)!.table;
    expect(def.busOffset).toBe(0);
    expect(def.windowBytes).toBe(GiB);
    expect(def.live).toBe(0);
    expect(m.findLiobn(DDW)!.table.enabled).toBe(false);
    expect(h.putTce(call(), DEF, GiB - 4096, 0x1000_0003)).toBe(H_SUCCESS);
  });

  it('v1: reset unmaps the default window on the host (region_del), so no page stays pinned for a TCE the guest lost', () => {
    const { r, h, call, m } = rig({ inKernelTce: false }, 'powernv', 'spapr-tce-v1');
    const c = m.phbs[0]!.host.containers[0]!;
    h.putTce(call(), DEF, 0x1000, 0x1000_0003);
    expect(c.pinnedV1Pages).toBe(1);
    expect(r.reset(call(), 0)).toBe(RTAS_OUT_SUCCESS);
    expect(c.pinnedV1Pages).toBe(0);
    expect(m.checkInvariants()).toEqual([]);
  });

  it('without DDW on the PHB, remove and reset are PARAM_ERROR', () => {
    const { r, call } = rig({ ddw: false });
    expect(r.remove(call(), DEF)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(r.reset(call(), 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });

  it('every RTAS call is an exit to QEMU', () => {
    const { r, call, qemu } = rig();
    r.query(call(), 0);
    r.create(call(), 0, 16, 33);
    expect(qemu.exits).toBe(2);
  });
});
