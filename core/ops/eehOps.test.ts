import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/loadScenario';
import type { ScenarioInput } from '../scenario/schema';
import { resolveCostTable } from '../sim/costTable';
import { ScenarioRun } from '../run/scenarioRun';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import { OPS } from './opRegistry';
import { runOpStep } from '../workload/opsWorkload';
import type { OpsEnvironment } from './opTypes';

const TWO_IN_ONE = [
  { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
  { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
];

function scenario(
  eeh: Record<string, unknown> = {},
  devices: unknown[] = TWO_IN_ONE,
  steps: unknown[] = [{ op: 'eeh.wait', args: { ms: 1 } }],
): ScenarioInput {
  return {
    name: 'eeh-ops',
    durationMs: 3_600_000,
    host: { arch: 'ppc64le', hypervisor: 'kvm', vfio: { backend: 'spapr-tce-v2' } },
    vms: [{ name: 'vm0', devices, eeh }],
    workload: { kind: 'ops', steps },
  } as ScenarioInput;
}

function env(eeh: Record<string, unknown> = {}, devices: unknown[] = TWO_IN_ONE): OpsEnvironment {
  const loaded = loadScenario({ value: scenario(eeh, devices) });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return createHostEnvironment(loaded.scenario, resolveCostTable());
}

const op = (e: OpsEnvironment, name: string, args: Record<string, unknown> = {}) => runOpStep(e, name, args);

describe('EEH ops: registered under their RTAS, VFIO_EEH_PE_OP and MMIO names', () => {
  it.each([
    'rtas.ibm,set-eeh-option',
    'rtas.ibm,read-slot-reset-state2',
    'rtas.ibm,set-slot-reset',
    'rtas.ibm,configure-pe',
    'rtas.ibm,slot-error-detail',
    'rtas.ibm,get-config-addr-info2',
    'eeh.inject',
    'eeh.state',
    'mmio.read',
    'mmio.write',
  ])('%s is an op', (name) => {
    expect(OPS.has(name)).toBe(true);
  });
});

describe('EEH ops on one environment', () => {
  it('mmio.read of a frozen PE returns all ones of the width as hex; writes are dropped', () => {
    const e = env({ guestRecovery: 'off' });
    expect(op(e, 'eeh.inject', { pe: 1 })).toMatchObject({ ok: true, ret: { serial: 1 } });
    expect([1, 2, 4, 8].map((width) => op(e, 'mmio.read', { device: 'nvme0', width }).ret)).toEqual([
      '0xff',
      '0xffff',
      '0xffffffff',
      '0xffffffffffffffff',
    ]);
    expect(op(e, 'mmio.read', { device: 'nvme1' }).ret).toBe('0x0');
    expect(op(e, 'mmio.write', { device: 'nvme0', value: 1 }).ret).toEqual({ dropped: true });
    expect(op(e, 'eeh.state', { pe: 1 }).ret).toEqual({ state: 'stopped', code: 2 });
  });

  it('rtas.* answer with RTAS status names; read-slot-reset-state2 returns {state, support, unavailableMs}', () => {
    const e = env({ guestRecovery: 'off', guestPeMapping: 'fan-out' });
    op(e, 'eeh.inject', { pe: 2 });
    expect(op(e, 'rtas.ibm,read-slot-reset-state2', { pe: 1 })).toMatchObject({
      ok: true,
      errno: null,
      ret: { state: 2, support: 1, unavailableMs: 1000 },
    });
    expect(op(e, 'rtas.ibm,set-slot-reset', { pe: 1, option: 2 })).toMatchObject({ ok: false, errno: 'RTAS_PARAM_ERROR' });
    expect(op(e, 'rtas.ibm,set-slot-reset', { device: 'nvme1', option: 1 })).toMatchObject({ ok: true });
    expect(op(e, 'rtas.ibm,slot-error-detail', { pe: 1 })).toMatchObject({ ok: true, ret: 1 });
    expect(op(e, 'rtas.ibm,get-config-addr-info2', { device: 'nvme0', option: 1 })).toMatchObject({ ok: true, ret: 2 });
    expect(op(e, 'rtas.ibm,configure-pe', { pe: 9 })).toMatchObject({ ok: false, errno: 'RTAS_PARAM_ERROR' });
  });

  it('QEMU today refuses EEH on a PHB with two host PEs: RTAS_PARAM_ERROR', () => {
    const e = env({ guestRecovery: 'off' });
    expect(op(e, 'rtas.ibm,set-eeh-option', { pe: 1, option: 1 })).toMatchObject({ ok: false, errno: 'RTAS_PARAM_ERROR' });
  });

  it('host-side eeh.* ops answer Linux errno names', () => {
    const e = env();
    expect(op(e, 'eeh.peOp', { pe: 1, op: 10 }).errno).toBe('EINVAL');
    expect(op(e, 'eeh.peOp', { pe: 1, op: 4, flags: 1 }).errno).toBe('EINVAL');
    expect(op(e, 'eeh.peOp', { pe: 1, op: 4 })).toMatchObject({ ok: true, ret: 0 });
    expect(op(e, 'eeh.inject', { pe: 1, type: 2 }).errno).toBe('EINVAL');
    expect(op(e, 'eeh.inject', { pe: 1, func: 20 }).errno).toBe('EINVAL');
    expect(op(e, 'eeh.peOp', { pe: 7, op: 4 }).errno).toBe('ENODEV');
    expect(op(e, 'eeh.state', { pe: 7 }).errno).toBe('ENODEV');
    expect(op(e, 'mmio.read', { device: 'nope' }).errno).toBe('ENODEV');
  });

  it('an RTAS op names exactly one of pe and device', () => {
    const args = OPS.get('rtas.ibm,configure-pe')!.args;
    expect(args.safeParse({ pe: 1, device: 'nvme0' }).success).toBe(false);
    expect(args.safeParse({}).success).toBe(false);
    expect(args.safeParse({ device: 'nvme0' }).success).toBe(true);
  });

  it('eeh.wait lets the guest recover: an NVMe alone in its PE is back to normal a minute later', () => {
    const e = env({}, [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }]);
    op(e, 'eeh.inject', { pe: 1 });
    expect(op(e, 'eeh.wait', { ms: 60_000 })).toMatchObject({ ok: true, ret: 0, costNs: 60e9 });
    expect(op(e, 'eeh.state', { pe: 1 }).ret).toEqual({ state: 'normal', code: 0 });
  });

  it('eeh.failStep and eeh.unavailable act on a host PE', () => {
    const e = env({ guestRecovery: 'off' }, [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }]);
    op(e, 'eeh.inject', { pe: 1 });
    expect(op(e, 'eeh.failStep', { pe: 1, step: 'thaw_mmio' }).ok).toBe(true);
    expect(op(e, 'rtas.ibm,set-eeh-option', { pe: 1, option: 2 }).errno).toBe('RTAS_HW_ERROR');
    expect(op(e, 'eeh.unavailable', { pe: 1, ms: 5 }).ok).toBe(true);
    expect(op(e, 'rtas.ibm,read-slot-reset-state2', { pe: 1 }).ret).toMatchObject({ state: 5 });
    op(e, 'eeh.wait', { ms: 10 });
    expect(op(e, 'eeh.state', { pe: 1 }).ret).toEqual({ state: 'stopped', code: 2 });
  });
});

describe('ops scenarios through a run (what pcilab run does)', () => {
  function run(input: ScenarioInput) {
    const loaded = loadScenario({ value: input });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    return new ScenarioRun(loaded.scenario).runToEnd();
  }

  it('reproduces MMIO all ones on a frozen PE', () => {
    const r = run(
      scenario({ guestRecovery: 'off' }, TWO_IN_ONE, [
        { op: 'mmio.read', args: { device: 'nvme0' } },
        { op: 'eeh.inject', args: { pe: 1 } },
        { op: 'mmio.read', args: { device: 'nvme0' } },
        { op: 'mmio.read', args: { device: 'nvme0', width: 8 } },
      ]),
    );
    expect(r.ops.map((o) => o.ret)).toEqual(['0x0', { serial: 1 }, '0xffffffff', '0xffffffffffffffff']);
    expect(r.metrics['eeh.mmioAllOnesReads']).toBe(2);
  });

  it('the sixth freeze within an hour ends in permanent failure', () => {
    const steps = [];
    for (let i = 0; i < 6; i++) steps.push({ op: 'eeh.inject', args: { pe: 1 } }, { op: 'eeh.wait', args: { ms: 120_000 } });
    steps.push({ op: 'eeh.state', args: { pe: 1 } });
    const r = run(scenario({}, [{ name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 }], steps));
    expect([r.metrics['eeh.recoveries'], r.metrics['eeh.permanentFailures'], r.metrics['eeh.freezes']]).toEqual([5, 1, 6]);
    // The guest gave up; the host PE stays as the permanent log left it: MMIO thawed, DMA stopped.
    expect(r.ops.at(-1)!.ret).toEqual({ state: 'stopped-dma', code: 4 });
    expect(r.simulatedNs).toBeLessThan(3_600e9);
  });
});
