import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../../sim/costTable';
import { TimelineRecorder } from '../../../sim/timelineRecorder';
import {
  EEH_PE_STATES,
  eehPeDmaEnabled,
  eehPeMmioEnabled,
  eehPeStateCode,
  eehPeTransitionAllowed,
  eehPeTransitions,
  type EehPeState,
} from './eehPeState';
import { EehTimeline } from './eehTimeline';
import { HostPe } from './hostPe';

function pe(): HostPe {
  return new HostPe(1, ['nvme0'], new EehTimeline(new TimelineRecorder()));
}

describe('EEH PE states: codes reported by VFIO_EEH_PE_GET_STATE and ibm,read-slot-reset-state2', () => {
  it.each([
    ['normal', 0],
    ['stopped', 2],
    ['stopped-dma', 4],
    ['unavailable', 5],
  ] as const)('%s is reported as %i (uapi EEH_PE_STATE_*)', (state, code) => {
    expect(eehPeStateCode(state)).toBe(code);
  });

  it('DMA thawed while MMIO stays frozen falls in the "else" branch of eeh_pe_get_state: 5', () => {
    expect(eehPeStateCode('stopped-mmio')).toBe(5);
  });

  it('while a reset is asserted a PowerNV host reads the PE eeh_pe_reset froze: stopped (2); a pseries (L1) host asks PowerVM: reset (1)', () => {
    expect(eehPeStateCode('reset')).toBe(2);
    expect(eehPeStateCode('reset', 'powernv')).toBe(2);
    expect(eehPeStateCode('reset', 'pseries')).toBe(1);
  });
});

describe('EEH PE states: what MMIO and DMA see', () => {
  const mmio: Record<EehPeState, boolean> = {
    normal: true,
    stopped: false,
    'stopped-dma': true,
    'stopped-mmio': false,
    reset: false,
    unavailable: false,
  };
  const dma: Record<EehPeState, boolean> = { ...mmio, 'stopped-dma': false, 'stopped-mmio': true };
  it.each(EEH_PE_STATES)('%s: MMIO and DMA enabled exactly as the state says', (s) => {
    expect([eehPeMmioEnabled(s), eehPeDmaEnabled(s)]).toEqual([mmio[s], dma[s]]);
  });
});

describe('EEH PE state machine: legal transitions only', () => {
  it('there is no host state for a PE its guest gave up on: the host is never told (recover_failed runs in the guest)', () => {
    expect((EEH_PE_STATES as readonly string[]).includes('permanently-failed')).toBe(false);
  });

  it('an unavailable PE comes back frozen (eeh_pe_refreeze_passed), never straight to normal', () => {
    expect(EEH_PE_STATES.filter((to) => eehPeTransitionAllowed('unavailable', to))).toEqual(['stopped']);
  });

  it('a normal PE cannot become half-thawed: only an error, a reset or unavailability move it', () => {
    expect(eehPeTransitionAllowed('normal', 'stopped-dma')).toBe(false);
    expect(eehPeTransitionAllowed('normal', 'stopped-mmio')).toBe(false);
  });

  it('HostPe takes every listed transition and throws on an illegal one (a programmer error)', () => {
    for (const [from, to] of eehPeTransitions()) {
      const p = pe();
      // Reach `from` by legal steps first.
      const path: Record<EehPeState, EehPeState[]> = {
        normal: [],
        stopped: ['stopped'],
        'stopped-dma': ['stopped', 'stopped-dma'],
        'stopped-mmio': ['stopped', 'stopped-mmio'],
        reset: ['reset'],
        unavailable: ['unavailable'],
      };
      for (const s of path[from]) p.setState(s, 0);
      expect(() => p.setState(to, 1)).not.toThrow();
      expect(p.state).toBe(to);
    }
    const p = pe();
    expect(() => p.setState('stopped-dma', 1)).toThrow(/illegal EEH transition normal -> stopped-dma/);
    const q = pe();
    q.setState('unavailable', 0);
    expect(() => q.setState('normal', 1)).toThrow(/illegal/);
  });

  it('costs exist for the EEH work (host op, driver callback, notification, MMIO access)', () => {
    const c = resolveCostTable();
    expect([c.eehHostPeOpNs, c.eehDriverHandlerNs, c.eehNotifyNs, c.mmioAccessNs].every((v) => v > 0)).toBe(true);
  });
});
