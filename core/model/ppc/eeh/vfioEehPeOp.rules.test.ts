import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../../sim/costTable';
import { TimelineRecorder } from '../../../sim/timelineRecorder';
import { EINVAL, EIO, ENODEV, OK } from '../../base/errno';
import type { EehPeState } from './eehPeState';
import { EehTimeline } from './eehTimeline';
import { HostPe } from './hostPe';
import {
  VFIO_EEH_PE_CONFIGURE,
  VFIO_EEH_PE_DISABLE,
  VFIO_EEH_PE_ENABLE,
  VFIO_EEH_PE_GET_STATE,
  VFIO_EEH_PE_INJECT_ERR,
  VFIO_EEH_PE_RESET_DEACTIVATE,
  VFIO_EEH_PE_RESET_FUNDAMENTAL,
  VFIO_EEH_PE_RESET_HOT,
  VFIO_EEH_PE_UNFREEZE_DMA,
  VFIO_EEH_PE_UNFREEZE_IO,
  VfioEehPeOp,
} from './vfioEehPeOp';

const costs = resolveCostTable();
const TIMING = { resetHoldMs: 250, resetSettleMs: 1800 };

function setup(state: EehPeState = 'normal', nested = false): { pe: HostPe; op: VfioEehPeOp } {
  const pe = new HostPe(1, ['nvme0'], new EehTimeline(new TimelineRecorder()));
  const path: Record<EehPeState, EehPeState[]> = {
    normal: [],
    stopped: ['stopped'],
    'stopped-dma': ['stopped', 'stopped-dma'],
    'stopped-mmio': ['stopped', 'stopped-mmio'],
    reset: ['reset'],
    unavailable: ['unavailable'],
  };
  for (const s of path[state]) pe.setState(s, 0);
  if (state === 'unavailable') pe.unavailableUntilNs = 1e15;
  return { pe, op: new VfioEehPeOp(costs, TIMING, nested) };
}

describe('VFIO_EEH_PE_OP: checks before the op (vfio_spapr_iommu_eeh_ioctl)', () => {
  it('no PE behind the group (eeh_iommu_group_to_pe NULL) -> ENODEV', () => {
    expect(setup().op.run(undefined, VFIO_EEH_PE_GET_STATE, 0)).toBe(ENODEV);
  });
  it('any flags bit -> EINVAL, state unchanged', () => {
    const { pe, op } = setup('stopped');
    expect(op.run(pe, VFIO_EEH_PE_ENABLE, 0, { flags: 1 })).toBe(EINVAL);
    expect(pe.state).toBe('stopped');
  });
  it('an op past INJECT_ERR (10) -> EINVAL', () => {
    const { pe, op } = setup();
    expect(op.run(pe, 10, 0)).toBe(EINVAL);
  });
});

describe('VFIO_EEH_PE_OP: each op on the host PE', () => {
  it('DISABLE (eeh_pe_set_option EEH_OPT_DISABLE) succeeds and changes nothing', () => {
    const { pe, op } = setup('stopped');
    expect(op.run(pe, VFIO_EEH_PE_DISABLE, 0)).toBe(OK);
    expect(pe.state).toBe('stopped');
  });
  it('ENABLE (eeh_pe_change_owner) unfreezes a frozen PE', () => {
    for (const s of ['stopped', 'stopped-dma', 'stopped-mmio'] as const) {
      const { pe, op } = setup(s);
      expect(op.run(pe, VFIO_EEH_PE_ENABLE, 0)).toBe(OK);
      expect(pe.state).toBe('normal');
    }
  });
  it('ENABLE leaves an active PE (normal, or in reset) alone', () => {
    for (const s of ['normal', 'reset'] as const) {
      const { pe, op } = setup(s);
      expect(op.run(pe, VFIO_EEH_PE_ENABLE, 0)).toBe(OK);
      expect(pe.state).toBe(s);
    }
  });
  it('UNFREEZE_IO thaws MMIO: stopped -> stopped-dma, stopped-mmio -> normal', () => {
    const a = setup('stopped');
    expect(a.op.run(a.pe, VFIO_EEH_PE_UNFREEZE_IO, 0)).toBe(OK);
    expect(a.pe.state).toBe('stopped-dma');
    const b = setup('stopped-mmio');
    expect(b.op.run(b.pe, VFIO_EEH_PE_UNFREEZE_IO, 0)).toBe(OK);
    expect(b.pe.state).toBe('normal');
  });
  it('UNFREEZE_DMA thaws DMA: stopped -> stopped-mmio, stopped-dma -> normal', () => {
    const a = setup('stopped');
    expect(a.op.run(a.pe, VFIO_EEH_PE_UNFREEZE_DMA, 0)).toBe(OK);
    expect(a.pe.state).toBe('stopped-mmio');
    const b = setup('stopped-dma');
    expect(b.op.run(b.pe, VFIO_EEH_PE_UNFREEZE_DMA, 0)).toBe(OK);
    expect(b.pe.state).toBe('normal');
  });
  it('a thaw of an already active side makes no platform call: an armed failure is not consumed (eeh_pci_enable)', () => {
    const { pe, op } = setup('stopped-dma');
    pe.arm('thaw_mmio');
    expect(op.run(pe, VFIO_EEH_PE_UNFREEZE_IO, 0)).toBe(OK);
    expect(pe.armedSteps()).toEqual(['thaw_mmio']);
  });
  it('a failing thaw -> EIO and the PE stays as it was', () => {
    const { pe, op } = setup('stopped');
    pe.arm('thaw_dma');
    expect(op.run(pe, VFIO_EEH_PE_UNFREEZE_DMA, 0)).toBe(EIO);
    expect(pe.state).toBe('stopped');
  });
  // eeh_pe_get_state. In reset, a PowerNV host reads OPAL's freeze status of the PE eeh_pe_reset froze
  // (pnv_eeh_get_pe_state answers "normal" only for EEH_PE_RESET, which the VFIO path never marks): 2;
  // PowerVM's RTAS under a nested L1 reports reset asserted: 1.
  it.each([
    ['normal', 0, 0],
    ['reset', 2, 1],
    ['stopped', 2, 2],
    ['stopped-dma', 4, 4],
    ['stopped-mmio', 5, 5],
    ['unavailable', 5, 5],
  ] as const)('GET_STATE on a %s PE returns %i on PowerNV, %i on a nested pseries host', (s, powernv, pseries) => {
    const bare = setup(s);
    expect(bare.op.run(bare.pe, VFIO_EEH_PE_GET_STATE, 0)).toBe(OK);
    expect(bare.op.lastState).toBe(powernv);
    const l1 = setup(s, true);
    expect(l1.op.run(l1.pe, VFIO_EEH_PE_GET_STATE, 0)).toBe(OK);
    expect(l1.op.lastState).toBe(pseries);
  });
  it('RESET_HOT and RESET_FUNDAMENTAL assert reset (the hold time is spent in the ioctl)', () => {
    for (const o of [VFIO_EEH_PE_RESET_HOT, VFIO_EEH_PE_RESET_FUNDAMENTAL]) {
      const { pe, op } = setup('stopped');
      expect(op.run(pe, o, 0)).toBe(OK);
      expect(pe.state).toBe('reset');
      expect(op.lastCostNs).toBe(costs.eehHostPeOpNs + 250e6);
    }
  });
  it('RESET_DEACTIVATE ends the reset with the PE thawed (eeh_pe_reenable_devices), after the settle time', () => {
    const { pe, op } = setup('reset');
    expect(op.run(pe, VFIO_EEH_PE_RESET_DEACTIVATE, 0)).toBe(OK);
    expect(pe.state).toBe('normal');
    expect(op.lastCostNs).toBe(costs.eehHostPeOpNs + 1800e6);
  });
  it('a failing reset -> EIO with the PE frozen by eeh_pe_reset first step (EEH_OPT_FREEZE_PE)', () => {
    const { pe, op } = setup('normal');
    pe.arm('reset');
    expect(op.run(pe, VFIO_EEH_PE_RESET_HOT, 0)).toBe(EIO);
    expect(pe.state).toBe('stopped');
  });
  it('CONFIGURE (eeh_pe_configure) succeeds and changes nothing', () => {
    const { pe, op } = setup('stopped');
    expect(op.run(pe, VFIO_EEH_PE_CONFIGURE, 0)).toBe(OK);
    expect(pe.state).toBe('stopped');
  });
  it('INJECT_ERR freezes the PE with a new serial', () => {
    const { pe, op } = setup();
    expect(op.run(pe, VFIO_EEH_PE_INJECT_ERR, 0, { errType: 1, errFunc: 19 })).toBe(OK);
    expect(pe.state).toBe('stopped');
    expect(op.lastSerial).toBe(pe.lastSerial);
    expect(pe.lastSerial).toBeGreaterThan(0);
  });
  it('INJECT_ERR: a type other than 32-bit (0) or 64-bit (1) -> EINVAL', () => {
    const { pe, op } = setup();
    expect(op.run(pe, VFIO_EEH_PE_INJECT_ERR, 0, { errType: 2 })).toBe(EINVAL);
    expect(pe.state).toBe('normal');
  });
  it('INJECT_ERR: a function outside 0..19 -> EINVAL', () => {
    const { pe, op } = setup();
    expect(op.run(pe, VFIO_EEH_PE_INJECT_ERR, 0, { errFunc: 20 })).toBe(EINVAL);
    expect(op.run(pe, VFIO_EEH_PE_INJECT_ERR, 0, { errFunc: -1 })).toBe(EINVAL);
    expect(pe.state).toBe('normal');
  });
  it('lab rule: an unavailable PE (its PHB being recovered) cannot be thawed, reset, enabled or injected: EIO', () => {
    for (const s of ['unavailable'] as const) {
      for (const o of [
        VFIO_EEH_PE_ENABLE,
        VFIO_EEH_PE_UNFREEZE_IO,
        VFIO_EEH_PE_UNFREEZE_DMA,
        VFIO_EEH_PE_RESET_HOT,
        VFIO_EEH_PE_RESET_DEACTIVATE,
        VFIO_EEH_PE_INJECT_ERR,
      ]) {
        const { pe, op } = setup(s);
        expect(op.run(pe, o, 0)).toBe(EIO);
        expect(pe.state).toBe(s);
      }
    }
  });
  it('an L1 host on PowerVM pays an RTAS call to L0 for each op', () => {
    const { pe, op } = setup('normal', true);
    op.run(pe, VFIO_EEH_PE_GET_STATE, 0);
    expect(op.lastCostNs).toBe(costs.eehHostPeOpNs + costs.l1ToL0HcallNs);
  });
});
