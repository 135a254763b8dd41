import { describe, expect, it } from 'vitest';
import { metricInfo } from '../../../run/metricCatalog';
import { eehWorld, S } from './eehTestWorld.testkit';
import { EEH_METRICS } from './eehMetrics';

describe('EEH system entry points', () => {
  it('dmaAllowed is false while the device PE is frozen; dmaAttempt counts what never completes', () => {
    const w = eehWorld({ eeh: { guestRecovery: 'off' } });
    expect(w.eeh.dmaAllowed('nvme0')).toBe(true);
    w.eeh.freeze(1, 0);
    expect(w.eeh.dmaAllowed('nvme0')).toBe(false);
    expect(w.eeh.dmaAllowed('nvme1')).toBe(true);
    expect(w.eeh.dmaAttempt('nvme0', 0)).toBe(false);
    const m: Record<string, number> = {};
    w.eeh.collectMetrics(m);
    expect(m['eeh.dmaBlocked']).toBe(1);
  });

  it('mmioWrite to a frozen PE is dropped; reads and writes cost an MMIO access', () => {
    const w = eehWorld({ eeh: { guestRecovery: 'off' } });
    w.eeh.freeze(1, 0);
    expect(w.eeh.mmioWrite('nvme0', 0, 4, 1, 0)).toBe(false);
    expect(w.eeh.lastCostNs).toBe(w.sim.costs.mmioAccessNs);
    expect(w.eeh.mmioWrite('nvme1', 0, 4, 1, 0)).toBe(true);
  });

  it('a freeze returns its serial, and 0 for an unknown or already frozen PE', () => {
    const w = eehWorld({ eeh: { guestRecovery: 'off' } });
    expect(w.eeh.freeze(1, 0)).toBe(1);
    expect(w.eeh.freeze(1, 0)).toBe(0);
    expect(w.eeh.freeze(9, 0)).toBe(0);
  });

  it('a guest reboot re-enables EEH through QEMU (spapr_phb_vfio_reset: ENABLE unfreezes) and restarts the freeze count', () => {
    const w = eehWorld({ devices: [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }], eeh: { detectionMs: { nvme: 0 } } });
    w.eeh.freeze(1, 0);
    w.runTo(1000);
    expect(w.eeh.guestPe(1)!.recovering).toBe(true);
    w.eeh.resetGuest(1000);
    expect(w.eeh.hostPe(1)!.state).toBe('normal');
    expect(w.eeh.guestPe(1)!.window.freezeCount).toBe(0);
    w.runTo(60 * S);
    expect(w.eeh.recovery.recoveries).toBe(0);
    expect(w.eeh.checkInvariants()).toEqual([]);
  });

  it('samples each host PE state as a counter', () => {
    const w = eehWorld();
    w.sim.counters.start(1_000_000 as never);
    w.eeh.freeze(1, 0);
    w.runTo(5_000_000);
    const series = w.sim.counters.result().find((c) => c.name === 'eeh.pe1.state')!;
    expect(series.values.at(-1)).toBe(1);
  });

  it('reports only metrics the EEH catalog documents, each with a unit', () => {
    const w = eehWorld({ eeh: { guestPeMapping: 'fan-out' } });
    w.eeh.freeze(1, 0);
    w.runTo(60 * S);
    const m: Record<string, number> = {};
    w.eeh.collectMetrics(m);
    const names = new Set(EEH_METRICS.map((x) => x.name));
    expect(Object.keys(m).filter((k) => !names.has(k) && k !== 'vmexits')).toEqual([]);
    expect(Object.keys(m).every((k) => metricInfo(k)?.unit !== undefined)).toBe(true);
  });

  it('the snapshot is deterministic: the same calls give the same snapshot', () => {
    const snap = () => {
      const w = eehWorld({ eeh: { guestPeMapping: 'naive' } });
      w.eeh.freeze(2, 0);
      w.runTo(3 * S);
      return JSON.stringify(w.eeh.snapshot());
    };
    expect(snap()).toBe(snap());
  });

  it('checkInvariants reports a guest PE removed while its recovery still runs', () => {
    const w = eehWorld();
    const gpe = w.eeh.guestPe(1)!;
    gpe.removed = true;
    gpe.recovering = true;
    expect(w.eeh.checkInvariants()).toContain('guest PE 1 was removed but is still recovering');
  });
});
