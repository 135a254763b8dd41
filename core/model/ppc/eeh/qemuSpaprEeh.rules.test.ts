import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../../sim/costTable';
import { RTAS_OUT_HW_ERROR, RTAS_OUT_NO_ERRORS_FOUND, RTAS_OUT_PARAM_ERROR, RTAS_OUT_SUCCESS } from '../papr';
import { eehWorld, MS } from './eehTestWorld.testkit';

const costs = resolveCostTable();
const SINGLE = [{ name: 'nvme0', kind: 'nvme' as const, hostPe: 1, guestPe: 1 }];
/** Guest recovery off: the test plays the guest and issues the RTAS calls itself. */
const MANUAL = { guestRecovery: 'off' };

function single(extra: Record<string, unknown> = {}) {
  const w = eehWorld({ devices: SINGLE, eeh: { ...MANUAL, ...extra } });
  return { w, q: w.eeh.qemu, gpe: w.eeh.guestPe(1)!, pe: w.eeh.hostPe(1)! };
}

function multi(mapping: string) {
  const w = eehWorld({ eeh: { ...MANUAL, guestPeMapping: mapping } });
  return { w, q: w.eeh.qemu, gpe: w.eeh.guestPe(1)!, a: w.eeh.hostPe(1)!, b: w.eeh.hostPe(2)! };
}

describe('ibm,set-eeh-option (rtas_ibm_set_eeh_option -> spapr_phb_vfio_eeh_set_option)', () => {
  it('option 2 thaws MMIO and 3 thaws DMA of the host PE', () => {
    const { w, q, gpe, pe } = single();
    w.eeh.freeze(1, 0);
    expect(q.setEehOption(gpe, 2, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(pe.state).toBe('stopped-dma');
    expect(q.setEehOption(gpe, 3, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(pe.state).toBe('normal');
  });
  it('option 1 (enable) unfreezes a frozen PE; option 0 (disable) succeeds', () => {
    const { w, q, gpe, pe } = single();
    w.eeh.freeze(1, 0);
    expect(q.setEehOption(gpe, 0, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(q.setEehOption(gpe, 1, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(pe.state).toBe('normal');
  });
  it('an unknown option -> RTAS_OUT_PARAM_ERROR', () => {
    const { q, gpe } = single();
    expect(q.setEehOption(gpe, 4, 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });
  it('a failing VFIO_EEH_PE_OP -> RTAS_OUT_HW_ERROR', () => {
    const { w, q, gpe, pe } = single();
    w.eeh.freeze(1, 0);
    pe.arm('thaw_mmio');
    expect(q.setEehOption(gpe, 2, 0)).toBe(RTAS_OUT_HW_ERROR);
  });
  it('a guest PE QEMU does not know (no PHB for the BUID) -> RTAS_OUT_PARAM_ERROR', () => {
    const { q } = single();
    expect(q.setEehOption(undefined, 1, 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });
});

describe('ibm,read-slot-reset-state2', () => {
  it('returns the state, support 1 and the 1000 ms unavailable hint (RTAS_EEH_PE_UNAVAIL_INFO)', () => {
    const { w, q, gpe } = single();
    w.eeh.freeze(1, 0);
    expect(q.readSlotResetState2(gpe, 0)).toBe(RTAS_OUT_SUCCESS);
    expect([q.lastState, q.lastSupport, q.lastUnavailableMs]).toEqual([2, 1, 1000]);
  });
  it('reports a normal PE as 0; a PE in reset as the host reads it: 2 on PowerNV (frozen by eeh_pe_reset), 1 under PowerVM', () => {
    const { q, gpe } = single();
    q.readSlotResetState2(gpe, 0);
    expect(q.lastState).toBe(0);
    q.setSlotReset(gpe, 1, 0);
    q.readSlotResetState2(gpe, 0);
    expect(q.lastState).toBe(2);
    const nested = eehWorld({ devices: SINGLE, eeh: MANUAL, hypervisor: 'powervm-nested' });
    const ngpe = nested.eeh.guestPe(1)!;
    nested.eeh.qemu.setSlotReset(ngpe, 1, 0);
    nested.eeh.qemu.readSlotResetState2(ngpe, 0);
    expect(nested.eeh.qemu.lastState).toBe(1);
  });
  it('costs a VM exit, QEMU handling under the BQL and the host op', () => {
    const { q, gpe } = single();
    q.readSlotResetState2(gpe, 0);
    expect(q.lastCostNs).toBe(costs.vmExitNs + costs.qemuInvalidationNs + costs.eehHostPeOpNs);
  });
  it('a nested L2 guest on PowerVM pays twice the exit and the L1 -> L0 call of the host op', () => {
    const w = eehWorld({ devices: SINGLE, eeh: MANUAL, hypervisor: 'powervm-nested' });
    w.eeh.qemu.readSlotResetState2(w.eeh.guestPe(1), 0);
    expect(w.eeh.qemu.lastCostNs).toBe(2 * costs.vmExitNs + costs.qemuInvalidationNs + costs.eehHostPeOpNs + costs.l1ToL0HcallNs);
  });
});

describe('ibm,set-slot-reset, ibm,configure-pe, ibm,slot-error-detail, ibm,get-config-addr-info2', () => {
  it('set-slot-reset 1 (hot) and 3 (fundamental) assert reset, 0 deactivates it with the PE thawed', () => {
    for (const option of [1, 3]) {
      const { w, q, gpe, pe } = single();
      w.eeh.freeze(1, 0);
      expect(q.setSlotReset(gpe, option, 0)).toBe(RTAS_OUT_SUCCESS);
      expect(pe.state).toBe('reset');
      expect(q.setSlotReset(gpe, 0, 0)).toBe(RTAS_OUT_SUCCESS);
      expect(pe.state).toBe('normal');
    }
  });
  it('set-slot-reset with an unknown option (2) -> RTAS_OUT_PARAM_ERROR; a failing reset -> RTAS_OUT_HW_ERROR', () => {
    const { q, gpe, pe } = single();
    expect(q.setSlotReset(gpe, 2, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    pe.arm('reset');
    expect(q.setSlotReset(gpe, 1, 0)).toBe(RTAS_OUT_HW_ERROR);
  });
  it('the QEMU trap of a hot reset lasts the host hold time (the BQL is held meanwhile)', () => {
    const { q, gpe } = single();
    q.setSlotReset(gpe, 1, 0);
    expect(q.lastCostNs).toBeGreaterThanOrEqual(250 * MS);
  });
  it('configure-pe succeeds (VFIO_EEH_PE_CONFIGURE)', () => {
    const { q, gpe } = single();
    expect(q.configurePe(gpe, 0)).toBe(RTAS_OUT_SUCCESS);
  });
  it('slot-error-detail with option 1 or 2 answers RTAS_OUT_NO_ERRORS_FOUND (1); another option PARAM_ERROR', () => {
    const { q, gpe } = single();
    expect(q.slotErrorDetail(gpe, 1, 0)).toBe(RTAS_OUT_NO_ERRORS_FOUND);
    expect(q.slotErrorDetail(gpe, 2, 0)).toBe(RTAS_OUT_NO_ERRORS_FOUND);
    expect(q.slotErrorDetail(gpe, 3, 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });
  it('get-config-addr-info2: option 0 -> PE address (bus << 16) + 1, option 1 -> shared mode (2), else PARAM_ERROR', () => {
    const { q, gpe } = single();
    expect(q.getConfigAddrInfo2(gpe, 'nvme0', 0, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(q.lastValue).toBe(1);
    expect(q.getConfigAddrInfo2(gpe, undefined, 1, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(q.lastValue).toBe(2);
    expect(q.getConfigAddrInfo2(gpe, undefined, 2, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.getConfigAddrInfo2(gpe, 'nvme9', 0, 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });
});

describe('a guest PE with two host PEs: what QEMU does today (refuse)', () => {
  it('vfio_eeh_container_ok wants exactly one group: every EEH call on the PHB answers RTAS_OUT_PARAM_ERROR', () => {
    const { q, gpe } = multi('refuse');
    expect(q.setEehOption(gpe, 1, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.readSlotResetState2(gpe, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.setSlotReset(gpe, 1, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.configurePe(gpe, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.slotErrorDetail(gpe, 1, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.getConfigAddrInfo2(gpe, 'nvme0', 0, 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(q.refusedCalls).toBe(6);
  });
  it('a guest PE with one host PE in the same VM keeps EEH', () => {
    const w = eehWorld({
      devices: [
        { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
        { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
        { name: 'nvme2', kind: 'nvme', hostPe: 3, guestPe: 2 },
      ],
      eeh: MANUAL,
    });
    expect(w.eeh.qemu.readSlotResetState2(w.eeh.guestPe(2), 0)).toBe(RTAS_OUT_SUCCESS);
  });
});

describe('EEH and the VFIO backend', () => {
  it('QEMU serves EEH through the legacy container only: with iommufd every call answers RTAS_OUT_PARAM_ERROR', () => {
    const w = eehWorld({ devices: SINGLE, eeh: MANUAL, backend: 'iommufd' });
    expect(w.eeh.qemu.readSlotResetState2(w.eeh.guestPe(1), 0)).toBe(RTAS_OUT_PARAM_ERROR);
    expect(w.eeh.qemu.setEehOption(w.eeh.guestPe(1), 1, 0)).toBe(RTAS_OUT_PARAM_ERROR);
  });
});

describe('a guest PE with two host PEs: naive (the container ioctl iterates over its groups)', () => {
  it('GET_STATE returns the first non-normal state, whichever host PE froze: the guest reads a state that is false for the other', () => {
    for (const frozen of [1, 2]) {
      const { w, q, gpe } = multi('naive');
      w.eeh.freeze(frozen, 0);
      expect(q.readSlotResetState2(gpe, 0)).toBe(RTAS_OUT_SUCCESS);
      expect(q.lastState).toBe(2);
      expect(q.inconsistentStates).toBe(1);
    }
  });
  it('a set option runs on each group until one fails: the earlier ones changed, the later did not', () => {
    const { w, q, gpe, a, b } = multi('naive');
    w.eeh.freeze(1, 0);
    w.eeh.freeze(2, 0);
    a.arm('thaw_mmio');
    expect(q.setEehOption(gpe, 2, 0)).toBe(RTAS_OUT_HW_ERROR);
    expect([a.state, b.state]).toEqual(['stopped', 'stopped']);
    b.arm('thaw_mmio');
    expect(q.setEehOption(gpe, 2, 0)).toBe(RTAS_OUT_HW_ERROR);
    expect([a.state, b.state]).toEqual(['stopped-dma', 'stopped']);
  });
  it('a reset resets the healthy host PE too', () => {
    const { w, q, gpe, a, b } = multi('naive');
    w.eeh.freeze(1, 0);
    q.setSlotReset(gpe, 1, 0);
    expect([a.state, b.state]).toEqual(['reset', 'reset']);
  });
});

describe('a guest PE with two host PEs: fan-out', () => {
  it('the error notification freezes the sibling after the notification latency', () => {
    const { w, a, b } = multi('fan-out');
    w.eeh.freeze(1, 0);
    expect([a.state, b.state]).toEqual(['stopped', 'normal']);
    w.runTo(costs.eehNotifyNs);
    expect([a.state, b.state]).toEqual(['stopped', 'stopped']);
    expect(b.fanOutFreezes).toBe(1);
  });
  it('notifications carrying a serial QEMU has seen are merged (one per device of every frozen host PE)', () => {
    const { w, q } = multi('fan-out');
    w.eeh.freeze(1, 0);
    w.runTo(10 * MS);
    // nvme0 reports the error, nvme1 reports the fan-out freeze with the same serial.
    expect(q.duplicateNotificationsMerged).toBe(1);
  });
  it('a state read before the notification arrives is still consistent: QEMU freezes the rest first', () => {
    const { w, q, gpe, a, b } = multi('fan-out');
    w.eeh.freeze(2, 0);
    expect(q.readSlotResetState2(gpe, 0)).toBe(RTAS_OUT_SUCCESS);
    expect(q.lastState).toBe(2);
    expect([a.state, b.state]).toEqual(['stopped', 'stopped']);
    expect(q.inconsistentStates).toBe(0);
  });
  it('each guest step is replayed on every host PE', () => {
    const { w, q, gpe, a, b } = multi('fan-out');
    w.eeh.freeze(1, 0);
    q.setEehOption(gpe, 2, 0);
    expect([a.state, b.state]).toEqual(['stopped-dma', 'stopped-dma']);
    q.setSlotReset(gpe, 1, 0);
    expect([a.state, b.state]).toEqual(['reset', 'reset']);
    q.setSlotReset(gpe, 0, 0);
    expect([a.state, b.state]).toEqual(['normal', 'normal']);
  });
  it('a step failing on one host PE reports one failure and brings both back to Stopped', () => {
    const { w, q, gpe, a, b } = multi('fan-out');
    w.eeh.freeze(1, 0);
    b.arm('reset');
    expect(q.setSlotReset(gpe, 1, 0)).toBe(RTAS_OUT_HW_ERROR);
    expect([a.state, b.state]).toEqual(['stopped', 'stopped']);
    expect(q.resolvedPartialFailures).toBe(1);
    expect(q.setSlotReset(gpe, 1, 0)).toBe(RTAS_OUT_SUCCESS);
    expect([a.state, b.state]).toEqual(['reset', 'reset']);
  });
  it('a failed thaw on one host PE re-freezes the one that thawed', () => {
    const { w, q, gpe, a, b } = multi('fan-out');
    w.eeh.freeze(1, 0);
    a.arm('thaw_mmio');
    expect(q.setEehOption(gpe, 2, 0)).toBe(RTAS_OUT_HW_ERROR);
    expect([a.state, b.state]).toEqual(['stopped', 'stopped']);
  });
});
