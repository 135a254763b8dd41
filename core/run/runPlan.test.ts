// A variant's --set applies to the base as the base's own overrides would: a version it sets implies
// that version's switches (versions.ts), an explicit switch of the base stays.
import { describe, expect, it } from 'vitest';
import { buildRunPlan } from './runPlan';
import { loadRunnableScenario } from './scenarioChecks';
import { storedPlanOf, planFromStored } from './runRequest';

describe('buildRunPlan', () => {
  const base = loadRunnableScenario({
    value: {
      name: 'x',
      durationMs: 1,
      host: { arch: 's390x', qemu: { version: '10.0' } },
      vms: [{ viommu: { s390: { coalescedUnmap: true } } }],
    },
  });
  if (!base.ok) throw new Error(base.problems.join('; '));

  it('re-implies the switches of a version a variant sets, keeping what the base sets itself', () => {
    const planned = buildRunPlan(base.scenario, [
      { name: 'q71', description: 'QEMU 7.1', set: ['host.qemu.version=7.1', 'host.qemu.machine=s390-ccw-virtio-7.1'] },
      { name: 'q72', description: 'QEMU 7.2', set: ['host.qemu.version=7.2', 'host.qemu.machine=s390-ccw-virtio-7.2'] },
      {
        name: 'pinned',
        description: 'QEMU 7.1, second pass on',
        set: ['host.qemu.version=7.1', 'host.qemu.machine=s390-ccw-virtio-7.1', 'vms.0.viommu.s390.rpcitSecondPass=true'],
      },
    ]);
    if (!planned.ok) throw new Error(planned.problems.join('; '));
    const s390 = (i: number) => planned.plan.variants[i]!.scenario.vms[0]!.viommu.s390;
    expect(base.scenario.vms[0]!.viommu.s390.rpcitSecondPass).toBe(true);
    expect(s390(0).rpcitSecondPass).toBe(false); // QEMU 7.1: one pass
    expect(s390(1).rpcitSecondPass).toBe(true);
    expect(s390(1).apertureRestriction).toBe(false); // before 8.0
    expect(s390(2).rpcitSecondPass).toBe(true); // the variant's own switch wins
    for (let i = 0; i < 3; i++) expect(s390(i).coalescedUnmap).toBe(true); // the base's own switch stays
  });

  it('a plan rebuilt from its stored form (the worker, a resumed run) gives the same variants', () => {
    const planned = buildRunPlan(base.scenario, [
      { name: 'q71', description: 'QEMU 7.1', set: ['host.qemu.version=7.1', 'host.qemu.machine=s390-ccw-virtio-7.1'] },
    ]);
    if (!planned.ok) throw new Error(planned.problems.join('; '));
    const rebuilt = planFromStored(JSON.parse(JSON.stringify(storedPlanOf(planned.plan))) as ReturnType<typeof storedPlanOf>);
    expect(rebuilt.variants[0]!.scenario).toEqual(planned.plan.variants[0]!.scenario);
    expect(rebuilt.base).toEqual(planned.plan.base);
  });
});
