import { describe, expect, it } from 'vitest';
import { SPAPR_OPS } from './spaprOps';
import { SPAPR_METRICS } from '../model/ppc/host/spaprTceMetrics';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { OpOutcome, OpsEnvironment } from './opTypes';
import { loadScenario } from '../scenario/loadScenario';
import { resolveCostTable } from '../sim/costTable';

function envWith(host: Record<string, unknown> = {}): OpsEnvironment {
  const r = loadScenario({ value: { name: 'spapr', host } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return createHostEnvironment(r.scenario, resolveCostTable());
}

function call(env: OpsEnvironment, op: string, args: Record<string, unknown> = {}): OpOutcome {
  const def = SPAPR_OPS.find((d) => d.name === op);
  if (def === undefined) throw new Error(`no op ${op}`);
  return def.run(env, def.args.parse(args));
}

const v2 = { arch: 'ppc64le', vfio: { backend: 'spapr-tce-v2' } };

describe('spapr.* ops', () => {
  it('defines every spapr.* op name', () => {
    expect(SPAPR_OPS.map((o) => o.name)).toEqual([
      'spapr.enable',
      'spapr.registerMemory',
      'spapr.unregisterMemory',
      'spapr.createWindow',
      'spapr.removeWindow',
      'spapr.map',
      'spapr.unmap',
      'spapr.getInfo',
    ]);
  });

  it('answers ENXIO for a map outside any window', () => {
    const env = envWith(v2);
    call(env, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x40000000' });
    expect(call(env, 'spapr.map', { iova: 0, vaddr: '0x7f0000000000', size: '0x10000' }).ok).toBe(true);
    expect(call(env, 'spapr.map', { iova: '0x100000000', vaddr: '0x7f0000000000', size: '0x10000' })).toMatchObject({
      ok: false,
      errno: 'ENXIO',
      ret: null,
      lane: 'spapr.container0',
    });
  });

  it('creates the DDW at 2^59 and refuses a third window with ENOSPC', () => {
    const env = envWith(v2);
    call(env, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x40000000' });
    expect(call(env, 'spapr.createWindow', { pageShift: 16, windowSize: '0x10000000000' })).toMatchObject({
      ok: true,
      ret: '0x800000000000000',
    });
    expect(call(env, 'spapr.createWindow', { pageShift: 16, windowSize: '0x10000000000' }).errno).toBe('ENOSPC');
  });

  it('makes v1 containers from host.vfio.backend spapr-tce-v1 and v2 ones on any other backend', () => {
    const v1 = envWith({ arch: 'ppc64le', vfio: { backend: 'spapr-tce-v1' } });
    expect(call(v1, 'spapr.enable').ok).toBe(true);
    expect(call(v1, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x10000' }).errno).toBe('ENOTTY');
    const x86 = envWith();
    expect(call(x86, 'spapr.enable').errno).toBe('ENOTTY');
    expect(call(x86, 'spapr.getInfo').ret).toMatchObject({ flags: 1, ddw: { maxDynamicWindowsSupported: 2, levels: 5 } });
  });

  it('shares pre-registered memory between containers: the same range is charged once', () => {
    const env = envWith(v2);
    call(env, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x40000000' });
    const locked = env.process.lockedPages;
    expect(call(env, 'spapr.registerMemory', { container: 'c1', vaddr: '0x7f0000000000', size: '0x40000000' }).ok).toBe(true);
    expect(env.process.lockedPages).toBe(locked);
    expect(call(env, 'spapr.registerMemory', { container: 'c1', vaddr: '0x7f0000000000', size: '0x40000000' }).errno).toBe('EBUSY');
  });

  it('unmap returns the bytes of live TCEs cleared; flags are refused with EINVAL', () => {
    const env = envWith(v2);
    call(env, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x40000000' });
    call(env, 'spapr.map', { iova: 0, vaddr: '0x7f0000000000', size: '0x10000', write: false });
    expect(call(env, 'spapr.unmap', { iova: '0x8000', size: '0x100000' })).toMatchObject({ ok: true, ret: 0x8000 });
    expect(call(env, 'spapr.unmap', { iova: 0, size: '0x1000', flags: 1 }).errno).toBe('EINVAL');
    expect(call(env, 'spapr.map', { iova: 0, vaddr: '0x7f0000000000', size: '0x1000', read: false, write: false }).errno).toBe('EINVAL');
    expect(call(env, 'spapr.map', { iova: 0, vaddr: '0x7f0000000000', size: '0x1000', extraFlags: 4 }).errno).toBe('EINVAL');
  });

  it('takes the platform from host.spapr (dma32 window, page sizes, one window only)', () => {
    const env = envWith({ ...v2, spapr: { maxWindows: 1, dma32WindowSizeBytes: '0x40000000', pageShifts: [12, 16] } });
    expect(call(env, 'spapr.getInfo').ret).toEqual({
      dma32WindowStart: 0,
      dma32WindowSize: 0x40000000,
      flags: 1,
      ddw: { pgsizes: 0x11000, maxDynamicWindowsSupported: 1, levels: 5 },
    });
    call(env, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x40000000' });
    expect(call(env, 'spapr.createWindow', { pageShift: 16, windowSize: '0x40000000' }).errno).toBe('EPERM');
    expect(call(env, 'spapr.removeWindow', { start: 0 }).ok).toBe(true);
    expect(call(env, 'spapr.createWindow', { pageShift: 21, windowSize: '0x40000000' }).errno).toBe('EINVAL');
    expect(call(env, 'spapr.createWindow', { pageShift: 16, windowSize: '0x40000000' })).toMatchObject({ ok: true, ret: 0 });
  });

  it('lists every metric the containers report in SPAPR_METRICS', () => {
    const env = envWith(v2);
    call(env, 'spapr.registerMemory', { vaddr: '0x7f0000000000', size: '0x40000000' });
    call(env, 'spapr.map', { iova: 0, vaddr: '0x7f0000000000', size: '0x10000' });
    call(env, 'spapr.map', { iova: '0x100000000', vaddr: '0x7f0000000000', size: '0x10000' });
    const into: Record<string, number> = {};
    for (const inst of env.instances()) inst.collectMetrics(into);
    expect(Object.keys(into).sort()).toEqual(SPAPR_METRICS.map((m) => m.name).sort());
    expect(into).toMatchObject({
      'spapr.mapIoctls': 2,
      'spapr.mapFailures': 1,
      'spapr.tcesPeak': 16,
      'spapr.registeredBytesPeak': 0x40000000,
    });
  });
});
