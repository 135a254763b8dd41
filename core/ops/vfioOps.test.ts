import { describe, expect, it } from 'vitest';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { OpOutcome, OpsEnvironment } from './opTypes';
import { VFIO_OPS } from './vfioOps';
import { VFIO_METRICS } from '../model/vfio/vfioMetrics';
import { STACK_METRICS } from '../stack/stackMetrics';
import { createVfioContainer } from '../stack/hostContainers';
import { loadScenario } from '../scenario/loadScenario';
import { resolveCostTable } from '../sim/costTable';
import type { MetricMap } from '../sim/metricSink';

const MiB = 1024 * 1024;

function envFor(host: Record<string, unknown> = {}): OpsEnvironment {
  const loaded = loadScenario({
    value: { name: 'vfio-ops', host, vms: [{ devices: [{ name: 'nvme0' }, { name: 'gpu0' }, { name: 'nic0' }] }] },
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return createHostEnvironment(loaded.scenario, resolveCostTable());
}

function run(env: OpsEnvironment, op: string, args: Record<string, unknown> = {}): OpOutcome {
  const def = VFIO_OPS.find((d) => d.name === op);
  if (def === undefined) throw new Error(`no op ${op}`);
  return def.run(env, def.args.parse(args));
}

function brief(o: OpOutcome): { ok: boolean; errno: string | null; ret: unknown } {
  return { ok: o.ok, errno: o.errno, ret: o.ret };
}

function containerState(env: OpsEnvironment, name = 'container0') {
  const inst = env.instances().find((i) => i.laneName === `vfio.${name}`);
  if (inst === undefined) throw new Error(`no container ${name}`);
  return inst.snapshot() as { dmaAvail: number; lockedPages: number; mappings: unknown[]; domains: { livePtes: number }[] };
}

describe('vfio ops: the "done when" sequences', () => {
  it('an overlapping map -> EEXIST', () => {
    const env = envFor();
    expect(brief(run(env, 'vfio.map', { iova: '0x100000', vaddr: '0x7f0000000000', size: '0x4000' }))).toEqual({
      ok: true,
      errno: null,
      ret: null,
    });
    expect(brief(run(env, 'vfio.map', { iova: '0x102000', vaddr: '0x7f0000100000', size: '0x4000' }))).toEqual({
      ok: false,
      errno: 'EEXIST',
      ret: null,
    });
  });

  it('with the default limit 65535 maps succeed and the 65536th -> ENOSPC', () => {
    const env = envFor();
    for (let i = 0; i < 65535; i++) {
      const o = run(env, 'vfio.map', { iova: 0x1_0000_0000 + i * 4096, vaddr: 0x7f00_0000_0000, size: 4096 });
      if (!o.ok) throw new Error(`map ${i} failed with ${o.errno}`);
    }
    expect(run(env, 'vfio.map', { iova: 0x2_0000_0000, vaddr: 0x7f00_0000_0000, size: 4096 }).errno).toBe('ENOSPC');
    expect((run(env, 'vfio.getInfo').ret as { dmaAvail: number }).dmaAvail).toBe(0);
    const metrics: MetricMap = {};
    for (const i of env.instances()) i.collectMetrics(metrics);
    expect([metrics['vfio.entriesPeak'], metrics['vfio.enospc'], metrics['vfio.mapIoctls']]).toEqual([65535, 1, 65536]);
  });

  it('type1 v2: an unmap that bisects a mapping -> EINVAL', () => {
    const env = envFor({ vfio: { backend: 'type1v2' } });
    run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x10000 });
    expect(brief(run(env, 'vfio.unmap', { iova: 0x104000, size: 0x4000 }))).toEqual({ ok: false, errno: 'EINVAL', ret: null });
    expect(brief(run(env, 'vfio.unmap', { iova: 0x100000, size: 0x4000 }))).toEqual({ ok: false, errno: 'EINVAL', ret: null });
    expect(brief(run(env, 'vfio.unmap', { iova: 0x100000, size: 0x10000 }))).toEqual({ ok: true, errno: null, ret: 0x10000 });
  });

  it('type1 v1: an unmap starting inside succeeds with 0 bytes; one covering the first byte removes the whole mapping', () => {
    const env = envFor({ vfio: { backend: 'type1v1' } });
    run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x10000 });
    expect(brief(run(env, 'vfio.unmap', { iova: 0x104000, size: 0x4000 }))).toEqual({ ok: true, errno: null, ret: 0 });
    expect(brief(run(env, 'vfio.unmap', { iova: 0x100000, size: 0x1000 }))).toEqual({ ok: true, errno: null, ret: 0x10000 });
    expect(containerState(env).mappings).toEqual([]);
  });

  it('memlock exceeded -> ENOMEM and nothing left behind (entries, locked pages, PTEs)', () => {
    const env = envFor({ vfio: { memlockBytes: 8 * MiB }, memoryBacking: 'hugepages-2m' });
    expect(run(env, 'vfio.map', { iova: 2 * MiB, vaddr: 2 * MiB, size: 4 * MiB }).ok).toBe(true);
    const before = containerState(env);
    const lockedBefore = env.process.lockedPages;
    expect(brief(run(env, 'vfio.map', { iova: 64 * MiB, vaddr: 64 * MiB, size: 6 * MiB }))).toEqual({
      ok: false,
      errno: 'ENOMEM',
      ret: null,
    });
    const after = containerState(env);
    expect([after.dmaAvail, after.mappings.length, after.domains[0]!.livePtes]).toEqual([before.dmaAvail, 1, 2]);
    expect(env.process.lockedPages).toBe(lockedBefore);
    expect(env.process.memlockFailures).toBe(1);
    expect(after).toEqual(before);
  });
});

describe('vfio ops: containers, getInfo and attach', () => {
  it('two named containers mapping the same vaddr are charged twice against one RLIMIT_MEMLOCK', () => {
    const env = envFor({ vfio: { memlockBytes: 12 * MiB } });
    expect(run(env, 'vfio.map', { iova: 0, vaddr: 0x4000_0000, size: 6 * MiB }).ok).toBe(true);
    expect(run(env, 'vfio.map', { iova: 0, vaddr: 0x4000_0000, size: 6 * MiB, container: 'c1' }).ok).toBe(true);
    expect(env.process.lockedPages * 4096).toBe(12 * MiB);
    const third = run(env, 'vfio.map', { iova: 0, vaddr: 0x4000_0000, size: 2 * MiB, container: 'c2' });
    expect([third.errno, third.lane]).toEqual(['ENOMEM', 'vfio.c2']);
  });

  it('getInfo reports flags, page sizes, DMA_AVAIL and inclusive IOVA ranges, hex above 2^53', () => {
    const env = envFor({ iommu: { apertureLast: '0xffffffffffffffff' } });
    const o = run(env, 'vfio.getInfo');
    expect(o).toMatchObject({ ok: true, errno: null, lane: 'vfio.container0' });
    expect(o.ret).toEqual({
      flags: 3,
      iovaPgsizes: 0x40201000,
      dmaAvail: 65535,
      iovaRanges: [
        { start: 0, end: 0xfedfffff },
        { start: 0xfef00000, end: '0xffffffffffffffff' },
      ],
    });
  });

  it('the op cost is the container cost of the call', () => {
    const env = envFor({ memoryBacking: '4k' });
    const costs = resolveCostTable();
    const o = run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x2000, read: true, write: false });
    expect(o.costNs).toBe(costs.vfioMapIoctlNs + 2 * costs.vfioPinPerPageNs + 2 * (costs.hostIommuMapNs + costs.hostPteWriteNs));
  });

  it('raw flags reach the ioctl: an unknown MAP_DMA bit -> EINVAL; read=false and write=false -> EINVAL', () => {
    const env = envFor();
    expect(run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x1000, flags: 8 }).errno).toBe('EINVAL');
    expect(run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x1000, read: false, write: false }).errno).toBe('EINVAL');
  });

  it('unmap all=true removes everything; all with a size -> EINVAL', () => {
    const env = envFor();
    run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x1000 });
    run(env, 'vfio.map', { iova: 0x200000, vaddr: 0x7f0000000000, size: 0x3000 });
    expect(run(env, 'vfio.unmap', { all: true, size: 0x1000 }).errno).toBe('EINVAL');
    expect(brief(run(env, 'vfio.unmap', { all: true }))).toEqual({ ok: true, errno: null, ret: 0x4000 });
  });

  it('attach: a scenario device joins; the same one again -> EINVAL; an unknown one -> ENOENT', () => {
    const env = envFor();
    expect(brief(run(env, 'vfio.attach', { device: 'gpu0' }))).toEqual({ ok: true, errno: null, ret: null });
    expect(run(env, 'vfio.attach', { device: 'gpu0' }).errno).toBe('EINVAL');
    expect(run(env, 'vfio.attach', { device: 'nvme0' }).errno).toBe('EINVAL');
    expect(run(env, 'vfio.attach', { device: 'nosuch' }).errno).toBe('ENOENT');
  });

  it('attach: a device already in another container -> EINVAL', () => {
    const env = envFor();
    expect(run(env, 'vfio.attach', { device: 'nic0', container: 'c1' }).ok).toBe(true);
    expect(run(env, 'vfio.attach', { device: 'nic0' }).errno).toBe('EINVAL');
  });

  it('no interrupt remapping without allow_unsafe_interrupts -> EPERM (VFIO_SET_IOMMU fails, QEMU stops)', () => {
    const env = envFor({ iommu: { irqRemapping: false } });
    expect(run(env, 'vfio.attach', { device: 'gpu0' }).errno).toBe('EPERM');
    expect(run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x1000 }).errno).toBe('EPERM');
    const unsafe = envFor({ iommu: { irqRemapping: false }, vfio: { allowUnsafeInterrupts: true } });
    expect(run(unsafe, 'vfio.attach', { device: 'gpu0' }).ok).toBe(true);
  });

  it('args are strict and take hex strings for addresses', () => {
    const map = VFIO_OPS.find((d) => d.name === 'vfio.map')!;
    expect(map.args.safeParse({ iova: '0x1000', vaddr: '0x2000', size: '0x1000' }).success).toBe(true);
    expect(map.args.safeParse({ iova: '0x1000', vaddr: '0x2000', size: '0x1000', bogus: 1 }).success).toBe(false);
    expect(map.args.safeParse({ iova: '1GiB', vaddr: 0, size: 4096 }).success).toBe(false);
    expect(VFIO_OPS.map((d) => d.name)).toEqual(['vfio.map', 'vfio.unmap', 'vfio.getInfo', 'vfio.attach']);
  });

  it('on backend iommufd the container is the VFIO compat layer: a v2 unmap that would split a mapping answers ENOENT, not EINVAL', () => {
    const type1 = envFor();
    const compat = envFor({ vfio: { backend: 'iommufd' } });
    for (const env of [type1, compat]) run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x10000 });
    expect(run(type1, 'vfio.unmap', { iova: 0x100000, size: 0x8000 }).errno).toBe('EINVAL');
    expect(run(compat, 'vfio.unmap', { iova: 0x100000, size: 0x8000 }).errno).toBe('ENOENT');
  });

  it('a SPAPR TCE backend does not serve type1 calls', () => {
    for (const backend of ['spapr-tce-v1', 'spapr-tce-v2']) {
      expect(() => createVfioContainer(envFor({ arch: 'ppc64le', vfio: { backend } }), 'x')).toThrow(/does not serve type1 calls/);
    }
  });

  it('VFIO_METRICS documents every metric a container reports, with units; the stack documents the locked-memory ones', () => {
    const env = envFor();
    run(env, 'vfio.map', { iova: 0x100000, vaddr: 0x7f0000000000, size: 0x1000 });
    const metrics: MetricMap = {};
    for (const i of env.instances()) i.collectMetrics(metrics);
    const documented = new Set(VFIO_METRICS.map((m) => m.name));
    expect(Object.keys(metrics).filter((k) => !documented.has(k))).toEqual([]);
    expect(STACK_METRICS.find((m) => m.name === 'vfio.lockedBytesPeak')!.unit).toBe('bytes');
    expect(STACK_METRICS.find((m) => m.name === 'vfio.memlockFailures')!.unit).toBe('calls');
  });
});
