import { describe, expect, it } from 'vitest';
import { findPreset } from '../scenario/presets';
import { presetPlan } from './presetPlan';
import { PlanRun } from './planRun';
import { ScenarioRun } from './scenarioRun';
import { loadScenario } from '../scenario/loadScenario';
import { limitsAnswers } from '../contract/limitsAnswer';
import { metricInfo } from './metricCatalog';
import type { RunResult } from '../contract/runResult';

const GiB = 2 ** 30;

function runPreset(id: string): RunResult {
  const preset = findPreset(id);
  if (preset === undefined) throw new Error(`no preset ${id}`);
  const plan = presetPlan(preset);
  if (!plan.ok) throw new Error(plan.problems.join('\n'));
  return new PlanRun(plan.plan).runToEnd();
}

describe('field-memlock-too-small', () => {
  const r = runPreset('field-memlock-too-small');
  it('needs the whole 4 GiB guest RAM locked at start, whatever the limit', () => {
    for (const v of ['tooSmall', 'guestRam']) {
      expect(r.metrics[`${v}:limits.lockedBytesStart`]).toBe(4 * GiB);
      expect(r.metrics[`${v}:limits.lockedBytesPeak`]).toBe(4 * GiB);
    }
    expect(r.metrics['tooSmall:limits.limitHit']).toBe(1);
    expect(r.metrics['guestRam:limits.limitHit']).toBe(0);
    expect(r.metrics['tooSmall:limits.memlockBytes']).toBe(65536);
  });
  it('answers that 4 GiB would have sufficed where 64 KiB did not', () => {
    const tooSmall = limitsAnswers(r.metrics).find((a) => a.variant === 'tooSmall')!;
    const process = tooSmall.rows[0]!;
    expect(process).toMatchObject({ limit: 65536, peak: 4 * GiB, wouldSuffice: 4 * GiB, headroom: 65536 - 4 * GiB });
    const guestRam = limitsAnswers(r.metrics).find((a) => a.variant === 'guestRam')!;
    expect(guestRam.rows[0]).toMatchObject({ limit: 4 * GiB, headroom: 0, wouldSuffice: null });
  });
  it('describes every limits metric in the catalog, with a unit', () => {
    for (const k of Object.keys(r.metrics).filter((k) => k.includes('limits.'))) expect(metricInfo(k)?.unit, k).toBeTruthy();
  });
});

describe('field-virtio-mem-entries', () => {
  const r = runPreset('field-virtio-mem-entries');
  it('needs two entries at start (guest RAM below and above 4 GiB) and 65538 at peak with 2 MiB blocks, over the 65535 limit', () => {
    expect(r.metrics['small:limits.limitHit']).toBe(1);
    expect(r.metrics['small:limits.type1/vm0.entriesStart']).toBe(2);
    expect(r.metrics['small:limits.type1/vm0.entriesPeak']).toBe(2 + (128 * GiB) / (2 * 2 ** 20));
    expect(r.metrics['small:limits.entryLimit']).toBe(65535);
    // The limit-free run maps every block: guest RAM plus 128 GiB plugged stay locked.
    expect(r.metrics['small:limits.lockedBytesPeak']).toBe(132 * GiB);
    const entries = limitsAnswers(r.metrics)
      .find((a) => a.variant === 'small')!
      .rows.find((row) => row.unit === 'entries')!;
    expect(entries).toMatchObject({ account: 'type1/vm0', start: 2, peak: 65538, limit: 65535, headroom: -3, wouldSuffice: 65538 });
  });
  it('fits with 4 MiB blocks: half the entries, no limit hit', () => {
    expect(r.metrics['bigBlock:limits.limitHit']).toBe(0);
    expect(r.metrics['bigBlock:limits.entriesPeak']).toBe(2 + (128 * GiB) / (4 * 2 ** 20));
  });
});

function run(value: object): RunResult {
  const loaded = loadScenario({ value: { name: 'limits', durationMs: 2, workload: { kind: 'fio', iodepth: 8, numjobs: 2 }, ...value } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return new ScenarioRun(loaded.scenario).runToEnd();
}

describe('each backend reports its own account', () => {
  it('type1: the RAM container of a vIOMMU-less 8 GiB guest charges all of it at boot, two entries', () => {
    const m = run({ host: { vfio: { backend: 'type1v2', memlockBytes: 16 * GiB } } }).metrics;
    expect(m['limits.type1/vm0.lockedBytesStart']).toBe(8 * GiB);
    expect(m['limits.type1/vm0.entriesStart']).toBe(2);
    expect(m['limits.lockedBytesPeak']).toBe(8 * GiB);
    expect(m['limits.memlockBytes']).toBe(16 * GiB);
    expect(limitsAnswers(m)[0]!.rows[0]).toMatchObject({ headroom: 8 * GiB, wouldSuffice: null });
  });
  it('iommufd: the compat IOAS pins guest RAM at boot like type1 (the device is attached first), its areas have no entry limit', () => {
    const m = run({ host: { vfio: { backend: 'iommufd' } } }).metrics;
    expect(m['limits.iommufd/vfio.vm0.entriesStart']).toBe(2);
    expect(m['limits.iommufd/vfio.vm0.lockedBytesStart']).toBe(8 * GiB);
    expect(m['limits.lockedBytesStart']).toBe(8 * GiB);
    expect(m['limits.entryLimit']).toBeUndefined();
    const rows = limitsAnswers(m)[0]!.rows;
    expect(rows.find((r) => r.unit === 'entries')).toMatchObject({ limit: null, resource: 'IOAS areas' });
  });
  it('sPAPR TCE v1: ENABLE charges the whole 2 GiB default window at setup', () => {
    const m = run({
      host: { arch: 'ppc64le', hypervisor: 'kvm', vfio: { backend: 'spapr-tce-v1' } },
      vms: [{ name: 'vm0', viommu: { model: 'spapr-tce' }, devices: [{ name: 'nvme0' }] }],
    }).metrics;
    expect(m['limits.spapr-tce/spapr.vm0.phb0.lockedBytesStart']).toBe(2 * GiB);
    expect(m['limits.spapr-tce/spapr.vm0.phb0.entriesStart']).toBe(0);
    expect(m['limits.spapr-tce/spapr.vm0.phb0.entriesPeak']).toBeGreaterThan(0);
  });
  it('sPAPR TCE v2: guest RAM pre-registered once per process, the tables charged by the container', () => {
    const m = run({
      host: { arch: 'ppc64le', hypervisor: 'kvm', vfio: { backend: 'spapr-tce-v2' } },
      vms: [{ name: 'vm0', viommu: { model: 'spapr-tce' }, devices: [{ name: 'nvme0' }] }],
    }).metrics;
    const prereg = m['limits.spapr-mm/spapr.mm.lockedBytesStart']!;
    const tables = m['limits.spapr-tce/spapr.vm0.phb0.lockedBytesStart']!;
    expect(prereg).toBe(8 * GiB);
    expect(tables).toBeGreaterThan(0);
    expect(m['limits.lockedBytesStart']).toBe(prereg + tables);
  });
  it('a run refused at a limit steps its limit-free twin too: small steps give the same answer and timeline', () => {
    const loaded = loadScenario({
      value: { name: 'limits', durationMs: 2, host: { vfio: { memlockBytes: 65536 } }, workload: { kind: 'fio', iodepth: 8, numjobs: 2 } },
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const whole = new ScenarioRun(loaded.scenario).runToEnd();
    const stepped = new ScenarioRun(loaded.scenario);
    let steps = 0;
    while (!stepped.step(50)) steps++;
    const r = stepped.result();
    expect(steps).toBeGreaterThan(1);
    expect(r.metrics).toEqual(whole.metrics);
    expect(r.timelineHash).toBe(whole.timelineHash);
    expect(r.metrics['limits.limitHit']).toBe(1);
    expect(r.metrics['limits.lockedBytesStart']).toBe(8 * GiB);
    expect(r.metrics['vfio.lockedBytesPeak']).toBe(0);
  });
});
