import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../../scenario/schema';
import { eehWorld, S, type EehWorld } from './eehTestWorld.testkit';
import type { EehRecoveryStep } from './hostPe';

// Fail-nth over the recovery steps: run a clean recovery and list, in order, every (step, host PE)
// the recovery reached; then for n = 1, 2, ... rerun it from scratch with step n failing once on that
// host PE. The end state must be what Linux decides for that step (a step it retries or ignores ends
// Normal, any other Permanently-failed), one state for every host PE of the guest PE, invariants
// intact, the armed failure consumed and the metrics adding up.

/** What eeh_handle_normal_event makes of one failure of each step. */
const LINUX_DECIDES: Record<EehRecoveryStep, 'recovered' | 'permanent'> = {
  error_detected: 'permanent', // a driver answers DISCONNECT
  wait: 'permanent', // the PE stays unavailable past MAX_WAIT_FOR_RECOVERY
  read_log: 'recovered', // eeh_slot_error_detail ignores the log call
  thaw_mmio: 'recovered', // the log's thaw fails silently, the next thaw works
  mmio_enabled: 'permanent', // DISCONNECT
  thaw_dma: 'permanent', // eeh_pci_enable -> -EIO
  reset: 'recovered', // eeh_pe_reset_full tries three times
  slot_reset: 'permanent', // DISCONNECT
  resume: 'recovered', // its result is ignored
};

/**
 * pci_ers_merge_result keeps the result of higher eeh_result_priority: NEED_RESET (6) outranks
 * DISCONNECT (5), so a driver answering DISCONNECT in error_detected does not stop a reset another
 * driver of the same guest PE asked for; the PE is then reset and recovers.
 */
function linuxDecides(step: EehRecoveryStep, c: Case): 'recovered' | 'permanent' {
  if (step === 'error_detected' && c.devices.filter((d) => d.kind === 'nvme').length > 1) return 'recovered';
  return LINUX_DECIDES[step];
}

interface Case {
  readonly name: string;
  readonly devices: readonly Partial<DeviceConfig>[];
  readonly mapping: string;
}

const CASES: readonly Case[] = [
  { name: 'nvme (NEED_RESET) alone in its PE', devices: [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }], mapping: 'refuse' },
  { name: 'generic (CAN_RECOVER) alone in its PE', devices: [{ name: 'dev0', kind: 'generic', hostPe: 1, guestPe: 1 }], mapping: 'refuse' },
  {
    name: 'two nvme host PEs in one guest PE, fan-out',
    devices: [
      { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
      { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
    ],
    mapping: 'fan-out',
  },
  {
    name: 'two generic host PEs in one guest PE, fan-out',
    devices: [
      { name: 'dev0', kind: 'generic', hostPe: 1, guestPe: 1 },
      { name: 'dev1', kind: 'generic', hostPe: 2, guestPe: 1 },
    ],
    mapping: 'fan-out',
  },
  {
    name: 'two nvme host PEs in one guest PE, naive',
    devices: [
      { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
      { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
    ],
    mapping: 'naive',
  },
];

const END = 400 * S;

function recover(
  c: Case,
  fail: { step: EehRecoveryStep; pe: number } | null,
): { w: EehWorld; log: { step: EehRecoveryStep; pe: number }[] } {
  const w = eehWorld({ devices: c.devices, eeh: { guestPeMapping: c.mapping } });
  const log: { step: EehRecoveryStep; pe: number }[] = [];
  for (const pe of w.eeh.hostPes) pe.consultLog = log;
  if (fail !== null) w.eeh.armStepFailure(fail.pe, fail.step);
  w.eeh.freeze(1, 0);
  w.runTo(END);
  return { w, log };
}

function sites(log: readonly { step: EehRecoveryStep; pe: number }[]): { step: EehRecoveryStep; pe: number }[] {
  const seen = new Set<string>();
  return log.filter((s) => {
    const key = `${s.step}@${s.pe}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

describe.each(CASES)('fail-nth over the recovery steps: $name', (c) => {
  const clean = recover(c, null);
  const list = sites(clean.log);

  it('the clean recovery ends Normal on every host PE and reaches each step it needs', () => {
    expect(clean.w.eeh.recovery.outcomes.map((o) => o.outcome)).toEqual(['recovered']);
    expect(clean.w.eeh.hostPes.every((p) => p.state === 'normal')).toBe(true);
    expect(list.length).toBeGreaterThanOrEqual(6);
  });

  it.each(list.map((s, i) => [i + 1, s.step, s.pe] as const))(
    'n = %i: %s failing on host PE %i ends as Linux decides, in one state',
    (_n, step, pe) => {
      const { w } = recover(c, { step, pe });
      const eeh = w.eeh;
      const outcomes = eeh.recovery.outcomes;
      expect(outcomes.map((o) => o.outcome)).toEqual([linuxDecides(step, c)]);
      const gpe = eeh.guestPe(1)!;
      expect(gpe.recovering).toBe(false);
      const recovered = linuxDecides(step, c) === 'recovered';
      // Recovered: every host PE normal. Given up: the guest removed its devices; the host is never
      // told, so its PEs stay as the permanent log left them, DMA stopped (MMIO thawed where it could be).
      if (recovered) expect(gpe.hostPes.map((p) => p.state)).toEqual(gpe.hostPes.map(() => 'normal'));
      else expect(gpe.removed).toBe(true);
      expect(eeh.checkInvariants()).toEqual([]);
      expect(eeh.hostPes.flatMap((p) => p.armedSteps())).toEqual([]);
      const m: Record<string, number> = {};
      eeh.collectMetrics(m);
      expect(m['eeh.recoveries']! + m['eeh.permanentFailures']!).toBe(1);
      // A held-unavailable host PE is frozen again when the host's PHB recovery ends
      // (eeh_pe_refreeze_passed): a second host freeze the guest, having removed its devices, never sees.
      expect(m['eeh.freezes']).toBe(step === 'wait' ? 2 : 1);
      if (step === 'wait') expect(eeh.hostPes.find((p) => p.number === pe)?.state).toBe('stopped');
      if (recovered) expect(m['eeh.hostPesNormal']).toBe(eeh.hostPes.length);
      expect(m['eeh.divergentGuestPes']).toBe(0);
      if (c.mapping === 'fan-out') expect(m['eeh.inconsistentStates']).toBe(0);
    },
  );
});
