import { describe, expect, it } from 'vitest';
import type { DurationNs, SimTimeNs } from '../../../sim/simTime';
import { eehWorld, S, type EehWorld } from './eehTestWorld.testkit';

const NVME = [{ name: 'nvme0', kind: 'nvme' as const, hostPe: 1, guestPe: 1 }];

function metrics(w: EehWorld): Record<string, number> {
  const m: Record<string, number> = {};
  w.eeh.collectMetrics(m);
  return m;
}

function rtas(w: EehWorld) {
  return w.eeh.qemu.rtasCalls;
}

describe('guest recovery paths (eeh_handle_normal_event)', () => {
  it('NEED_RESET (nvme): detected at the NVMe I/O timeout (30 s), reset with hold and settle on host and guest, back to Normal', () => {
    const w = eehWorld({ devices: NVME });
    w.eeh.freeze(1, 0);
    w.runTo(29 * S);
    expect(w.eeh.recovery.detections).toBe(0);
    w.runTo(60 * S);
    const m = metrics(w);
    expect(w.eeh.hostPe(1)!.state).toBe('normal');
    expect([m['eeh.recoveries'], m['eeh.permanentFailures']]).toEqual([1, 0]);
    // 30 s detection + (250 + 1800 ms) slept by the host in the ioctls and again by the guest (pseries_eeh_reset).
    expect(m['eeh.recoveryTimeMs']).toBeGreaterThan(34_100);
    expect(m['eeh.recoveryTimeMs']).toBeLessThan(34_110);
    expect(rtas(w)['ibm,set-slot-reset']).toBe(2);
    expect(rtas(w)['ibm,configure-pe']).toBe(2);
    expect(rtas(w)['ibm,slot-error-detail']).toBe(1);
  });

  it('CAN_RECOVER (a generic driver): MMIO thawed (for the log), mmio_enabled, DMA thawed, no reset', () => {
    const w = eehWorld({ devices: [{ name: 'dev0', kind: 'generic', hostPe: 1, guestPe: 1 }] });
    w.eeh.freeze(1, 0);
    w.runTo(10 * S);
    const m = metrics(w);
    expect(w.eeh.hostPe(1)!.state).toBe('normal');
    expect(m['eeh.recoveries']).toBe(1);
    expect(rtas(w)['ibm,set-slot-reset']).toBe(0);
    expect(rtas(w)['ibm,set-eeh-option']).toBe(2);
    expect(m['eeh.recoveryTimeMs']).toBeLessThan(1001);
  });

  it('no EEH-aware driver (NONE): reset with hotplug, the devices re-added after 5 s, no slot_reset', () => {
    const w = eehWorld({ devices: [{ name: 'gpu0', kind: 'gpu', hostPe: 1, guestPe: 1 }] });
    w.eeh.freeze(1, 0);
    w.runTo(30 * S);
    const m = metrics(w);
    expect(w.eeh.hostPe(1)!.state).toBe('normal');
    expect(m['eeh.recoveries']).toBe(1);
    expect(m['eeh.recoveryTimeMs']).toBeGreaterThan(1000 + 4100 + 5000);
    expect(m['eeh.recoveryTimeMs']).toBeLessThan(1000 + 4100 + 5000 + 10);
  });

  it('a driver answering DISCONNECT fails the PE permanently: its devices are removed; the host PE stays as the permanent log left it (MMIO thawed, DMA stopped: 4)', () => {
    const w = eehWorld({ devices: NVME });
    w.eeh.armStepFailure(1, 'error_detected');
    w.eeh.freeze(1, 0);
    w.runTo(60 * S);
    expect(w.eeh.hostPe(1)!.state).toBe('stopped-dma');
    expect(w.eeh.guestPe(1)!.removed).toBe(true);
    expect(metrics(w)['eeh.permanentFailures']).toBe(1);
    expect(w.eeh.checkInvariants()).toEqual([]);
  });

  it('without a timed detection only a driver read of all ones (eeh_check_failure) starts the recovery', () => {
    const w = eehWorld({ devices: NVME, eeh: { detectionMs: { nvme: null } } });
    w.eeh.freeze(1, 0);
    w.runTo(100 * S);
    expect(w.eeh.recovery.detections).toBe(0);
    expect(w.eeh.mmioRead('nvme0', 0, 4, 100 * S)).toBe(0xffffffff);
    expect(w.eeh.recovery.detections).toBe(1);
    w.runTo(110 * S);
    expect(w.eeh.hostPe(1)!.state).toBe('normal');
  });

  it('an all-ones read of a working device is a false positive (state active): no recovery', () => {
    const w = eehWorld({ devices: NVME });
    w.eeh.freeze(1, 0);
    w.eeh.peOp(1, 1, 0); // ENABLE from the host side: unfrozen before the guest looked
    w.runTo(60 * S);
    expect(w.eeh.recovery.falsePositives).toBe(1);
    expect(w.eeh.recovery.detections).toBe(0);
  });

  it('guestRecovery "off": the guest does nothing by itself', () => {
    const w = eehWorld({ devices: NVME, eeh: { guestRecovery: 'off' } });
    w.eeh.freeze(1, 0);
    w.runTo(100 * S);
    expect(w.eeh.hostPe(1)!.state).toBe('stopped');
    expect(w.eeh.qemu.rtasCalls['ibm,read-slot-reset-state2']).toBe(0);
  });
});

describe('wait for the PE (eeh_wait_state, MAX_WAIT_FOR_RECOVERY 300 s)', () => {
  it('an unavailable PE is polled every 1000 ms (the hint) and recovered once it is back', () => {
    const w = eehWorld({ devices: NVME, eeh: { detectionMs: { nvme: 0 } } });
    w.eeh.makeUnavailable(1, 10_000, 0);
    w.eeh.mmioRead('nvme0', 0, 4, 0);
    w.runTo(9 * S);
    expect(w.eeh.guestPe(1)!.recovering).toBe(true);
    w.runTo(30 * S);
    expect(w.eeh.hostPe(1)!.state).toBe('normal');
    expect(w.eeh.recovery.recoveries).toBe(1);
    expect(w.eeh.qemu.rtasCalls['ibm,read-slot-reset-state2']).toBeGreaterThan(10);
  });

  it('a PE still unavailable after 300 s fails permanently', () => {
    const w = eehWorld({ devices: NVME, eeh: { detectionMs: { nvme: 0 } } });
    w.eeh.makeUnavailable(1, 1_000_000, 0);
    w.eeh.mmioRead('nvme0', 0, 4, 0);
    w.runTo(299 * S);
    expect(w.eeh.recovery.permanentFailures).toBe(0);
    w.runTo(302 * S);
    expect(w.eeh.recovery.permanentFailures).toBe(1);
    expect(w.eeh.guestPe(1)!.removed).toBe(true);
  });
});

describe('too many freezes in an hour (eeh_max_freezes)', () => {
  function freezeAt(w: EehWorld, seconds: readonly number[]): void {
    for (const s of seconds) {
      w.runTo(s * S);
      w.eeh.freeze(1, s * S);
    }
    w.runTo((seconds[seconds.length - 1]! + 60) * S);
  }

  it('the sixth freeze within an hour fails the PE permanently (the first five recover)', () => {
    const w = eehWorld({ devices: NVME });
    freezeAt(w, [0, 600, 1200, 1800, 2400, 3000]);
    expect([w.eeh.recovery.recoveries, w.eeh.recovery.permanentFailures]).toEqual([5, 1]);
    expect(w.eeh.recovery.outcomes.at(-1)!.outcome).toBe('permanent');
    expect(w.eeh.hostPe(1)!.state).toBe('stopped-dma');
  });

  it('the same six freezes spread over more than an hour all recover', () => {
    const w = eehWorld({ devices: NVME });
    freezeAt(w, [0, 800, 1600, 2400, 3200, 4000]);
    expect([w.eeh.recovery.recoveries, w.eeh.recovery.permanentFailures]).toEqual([6, 0]);
  });

  it('the sixth event handled exactly 3600 s after the first still counts; one second later it does not', () => {
    for (const [last, permanent] of [
      [3600, 1],
      [3601, 0],
    ] as const) {
      const w = eehWorld({ devices: NVME, eeh: { detectionMs: { nvme: 0 } } });
      freezeAt(w, [0, 10, 20, 30, 40, last]);
      expect(w.eeh.recovery.permanentFailures).toBe(permanent);
    }
  });

  it('eeh_max_freezes is a scenario option', () => {
    const w = eehWorld({ devices: NVME, eeh: { maxFreezes: 1 } });
    freezeAt(w, [0, 100]);
    expect([w.eeh.recovery.recoveries, w.eeh.recovery.permanentFailures]).toEqual([1, 1]);
  });
});

describe('a guest PE over two host PEs under each strategy', () => {
  it('refuse: the guest has no EEH there; the frozen device stays dead, its sibling works (inconsistent)', () => {
    const w = eehWorld({ eeh: { guestPeMapping: 'refuse' } });
    w.eeh.freeze(1, 0);
    w.runTo(120 * S);
    expect(w.eeh.mmioRead('nvme0', 0, 4, 120 * S)).toBe(0xffffffff);
    expect(w.eeh.mmioRead('nvme1', 0, 4, 120 * S)).toBe(0);
    const m = metrics(w);
    expect([m['eeh.recoveries'], m['eeh.unhandledFreezes'], m['eeh.inconsistentStates']]).toEqual([0, 1, 2]);
    expect([w.eeh.hostPe(1)!.state, w.eeh.hostPe(2)!.state]).toEqual(['stopped', 'normal']);
  });

  it('naive: the recovery goes through but the guest reads states that are false for one host PE', () => {
    const w = eehWorld({ eeh: { guestPeMapping: 'naive' } });
    w.eeh.freeze(1, 0);
    w.runTo(120 * S);
    const m = metrics(w);
    expect(m['eeh.recoveries']).toBe(1);
    expect(m['eeh.inconsistentStates']).toBeGreaterThan(0);
    expect(m['eeh.inconsistentMs']).toBeGreaterThan(29_000);
  });

  it('fan-out: both host PEs freeze together, recover together, and the guest never sees them differ', () => {
    const w = eehWorld({ eeh: { guestPeMapping: 'fan-out' } });
    w.eeh.freeze(1, 0);
    w.runTo(1 * S);
    expect([w.eeh.hostPe(1)!.state, w.eeh.hostPe(2)!.state]).toEqual(['stopped', 'stopped']);
    w.runTo(120 * S);
    const m = metrics(w);
    expect([w.eeh.hostPe(1)!.state, w.eeh.hostPe(2)!.state]).toEqual(['normal', 'normal']);
    expect([m['eeh.recoveries'], m['eeh.inconsistentStates'], m['eeh.fanOutFreezes']]).toEqual([1, 0, 1]);
    expect(m['eeh.inconsistentMs']).toBeLessThan(0.1);
  });

  it('fan-out: a reset failing on one host PE is resolved to Stopped, the guest retries (eeh_pe_reset_full) and both recover', () => {
    const w = eehWorld({ eeh: { guestPeMapping: 'fan-out' } });
    w.eeh.armStepFailure(2, 'reset');
    w.eeh.freeze(1, 0);
    w.runTo(120 * S);
    const m = metrics(w);
    expect([m['eeh.resolvedPartialFailures'], m['eeh.recoveries'], m['eeh.divergentGuestPes']]).toEqual([1, 1, 0]);
    expect(w.eeh.qemu.rtasCalls['ibm,set-slot-reset']).toBe(3);
  });

  it('fan-out: a failure Linux cannot retry (thaw DMA) fails the guest PE; both host PEs stay as the log left them, MMIO thawed and DMA stopped', () => {
    const w = eehWorld({
      devices: [
        { name: 'dev0', kind: 'generic', hostPe: 1, guestPe: 1 },
        { name: 'dev1', kind: 'generic', hostPe: 2, guestPe: 1 },
      ],
      eeh: { guestPeMapping: 'fan-out' },
    });
    w.eeh.armStepFailure(2, 'thaw_dma');
    w.eeh.freeze(1, 0);
    w.runTo(60 * S);
    expect([w.eeh.hostPe(1)!.state, w.eeh.hostPe(2)!.state]).toEqual(['stopped-dma', 'stopped-dma']);
    expect(w.eeh.guestPe(1)!.removed).toBe(true);
    expect(metrics(w)['eeh.permanentFailures']).toBe(1);
  });
});

describe('timeline', () => {
  it('links the recovery to the freeze and the freeze to what caused it', () => {
    const w = eehWorld({ devices: NVME });
    const tl = w.sim.timeline;
    const lane = tl.defineLane('faults', 'faults');
    const kind = tl.defineKind({ name: 'fault.inject' });
    const injection = tl.record(0 as SimTimeNs, 0 as DurationNs, lane, kind);
    w.eeh.freeze(1, 0, injection);
    w.runTo(60 * S);
    const cols = tl.columns();
    const kindId = (name: string) => cols.kinds.find((k) => k.name === name)!.id;
    const freeze = [...cols.kind].indexOf(kindId('eeh.freeze'));
    expect(cols.cause[freeze]).toBe(injection);
    const steps = [...cols.kind.keys()].filter((i) => cols.kind[i] === kindId('eeh.step'));
    const detect = steps.find((i) => cols.strings[cols.a0[i]!] === 'detect')!;
    expect(cols.cause[detect]).toBe(freeze);
    const later = steps.filter((i) => i !== detect);
    expect(later.length).toBeGreaterThan(5);
    expect(later.every((i) => cols.cause[i] === detect)).toBe(true);
    expect(cols.lanes.some((l) => l.name === 'pe.1' && l.group === 'PE/EEH')).toBe(true);
  });
});
