import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/loadScenario';
import { resolveCostTable } from '../sim/costTable';
import { FaultInjector } from '../sim/faultInjector';
import type { MetricMap } from '../sim/metricSink';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { OpsEnvironment } from './opTypes';
import { IOMMUFD_OPS } from './iommufdOps';
import { IOMMUFD_METRICS } from '../model/iommufd/iommufdMetrics';

const P = 4096;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BUF = 0x7f00_0000_0000;

function env(host: Record<string, unknown> = {}, faults = new FaultInjector()): OpsEnvironment {
  const loaded = loadScenario({ value: { name: 'iommufd ops', host } });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return createHostEnvironment(loaded.scenario, resolveCostTable(), faults);
}

function run(e: OpsEnvironment, op: string, args: Record<string, unknown> = {}) {
  const def = IOMMUFD_OPS.find((o) => o.name === op);
  if (def === undefined) throw new Error(`no op ${op}`);
  return def.run(e, def.args.parse(args));
}

function metrics(e: OpsEnvironment): MetricMap {
  const m: MetricMap = {};
  for (const inst of e.instances()) inst.collectMetrics(m);
  return m;
}

describe('iommufd ops', () => {
  it('defines every iommufd.* op name', () => {
    expect(IOMMUFD_OPS.map((o) => o.name).sort()).toEqual([
      'iommufd.allowIovas',
      'iommufd.attach',
      'iommufd.copy',
      'iommufd.createWindow',
      'iommufd.ioasAlloc',
      'iommufd.iovaRanges',
      'iommufd.map',
      'iommufd.removeWindow',
      'iommufd.unmap',
    ]);
  });
  it('the default IOAS "ioas0" is created on first use and attached to the host IOMMU like QEMU does', () => {
    const e = env();
    const r = run(e, 'iommufd.map', { uptr: BUF, length: 2 * MiB });
    expect(r).toMatchObject({ ok: true, errno: null, ret: 2 * MiB, lane: 'iommufd.ioas0' });
    expect(e.process.lockedPages).toBe(512);
    expect(run(e, 'iommufd.iovaRanges')).toMatchObject({
      ok: true,
      ret: {
        ranges: [
          { start: 0, last: 0xfedfffff },
          { start: 0xfef00000, last: 2 ** 48 - 1 },
        ],
        alignment: P,
      },
    });
  });
  it('map at a fixed iova (hex strings accepted), unmap returns the bytes', () => {
    const e = env();
    expect(run(e, 'iommufd.map', { iova: '0x100000', uptr: BUF, length: '0x4000' })).toMatchObject({ ok: true, ret: 0x100000 });
    expect(run(e, 'iommufd.map', { iova: '0x100000', uptr: BUF, length: '0x4000' })).toMatchObject({
      ok: false,
      errno: 'EEXIST',
      ret: null,
    });
    expect(run(e, 'iommufd.unmap', { iova: 0x100000, length: 0x1000 })).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(run(e, 'iommufd.unmap', { iova: 0x100000, length: 0x4000 })).toMatchObject({ ok: true, ret: 0x4000 });
    expect(run(e, 'iommufd.unmap', { iova: 0, length: '0xffffffffffffffff' })).toMatchObject({ ok: true, ret: 0 });
  });
  it('ioasAlloc returns object ids; ids address IOAS; an unknown id is ENOENT; a taken name EEXIST', () => {
    const e = env();
    expect(run(e, 'iommufd.ioasAlloc', { name: 'a' })).toMatchObject({ ok: true, ret: 1, lane: 'iommufd.a' });
    expect(run(e, 'iommufd.ioasAlloc')).toMatchObject({ ok: true, ret: 2, lane: 'iommufd.#2' });
    expect(run(e, 'iommufd.ioasAlloc', { name: 'a' })).toMatchObject({ ok: false, errno: 'EEXIST' });
    expect(run(e, 'iommufd.iovaRanges', { ioas: 2 })).toMatchObject({
      ok: true,
      ret: { ranges: [{ start: 0, last: '0xffffffffffffffff' }], alignment: 1 },
    });
    expect(run(e, 'iommufd.map', { ioas: 9, uptr: BUF, length: P })).toMatchObject({ ok: false, errno: 'ENOENT', lane: 'iommufd' });
  });
  it('attach adds a device to a named IOAS', () => {
    const e = env();
    expect(run(e, 'iommufd.ioasAlloc', { name: 'bare' })).toMatchObject({ ok: true });
    expect(run(e, 'iommufd.map', { ioas: 'bare', uptr: BUF, length: P })).toMatchObject({ ok: true });
    expect(e.process.lockedPages).toBe(0);
    expect(run(e, 'iommufd.attach', { ioas: 'bare', device: 'nvme0' })).toMatchObject({ ok: true, lane: 'iommufd.bare' });
    expect(e.process.lockedPages).toBe(1);
    expect(run(e, 'iommufd.attach', { ioas: 'other', device: 'nvme0' })).toMatchObject({ ok: false, errno: 'EINVAL' });
  });
  it('copy shares pinned pages: the same memory in two IOAS is charged once (reference 002)', () => {
    const e = env();
    expect(run(e, 'iommufd.map', { ioas: 'a', iova: GiB, uptr: BUF, length: GiB })).toMatchObject({ ok: true });
    expect(run(e, 'iommufd.copy', { srcIoas: 'a', dstIoas: 'b', srcIova: GiB, length: GiB, dstIova: GiB })).toMatchObject({
      ok: true,
      ret: GiB,
      lane: 'iommufd.b',
    });
    expect(e.process.lockedPages).toBe(GiB / P);
    const m = metrics(e);
    expect(m['iommufd.pinnedPagesPeak']).toBe(GiB / P);
    expect(m['iommufd.mapIoctls']).toBe(1);
    expect(m['iommufd.copyIoctls']).toBe(1);
    expect(m['iommufd.areasPeak']).toBe(1);
  });
  it('copy from a range that is not mapped is ENOENT on the destination lane', () => {
    const e = env();
    expect(run(e, 'iommufd.copy', { srcIoas: 'a', dstIoas: 'b', srcIova: GiB, length: P })).toMatchObject({
      ok: false,
      errno: 'ENOENT',
      lane: 'iommufd.b',
    });
    expect(metrics(e)['iommufd.mapFailures']).toBe(1);
  });
  it('iovaRanges with a too small capacity is EMSGSIZE with the count', () => {
    const e = env();
    expect(run(e, 'iommufd.iovaRanges', { capacity: 1 })).toMatchObject({ ok: false, errno: 'EMSGSIZE', ret: { count: 2 } });
  });
  it('allowIovas restricts automatic IOVA', () => {
    const e = env();
    expect(run(e, 'iommufd.allowIovas', { ranges: [{ start: '0x40000000', last: '0x7fffffff' }] })).toMatchObject({ ok: true });
    expect(run(e, 'iommufd.map', { uptr: BUF, length: P })).toMatchObject({ ok: true, ret: GiB });
    expect(run(e, 'iommufd.allowIovas', { ranges: [{ start: '0xfee00000', last: '0xfeefffff' }] })).toMatchObject({
      ok: false,
      errno: 'EADDRINUSE',
    });
  });
  it('windows are EOPNOTSUPP unless host.iommufd.dmaWindows is on', () => {
    const e = env();
    expect(run(e, 'iommufd.createWindow', { size: GiB })).toMatchObject({ ok: false, errno: 'EOPNOTSUPP' });
    expect(run(e, 'iommufd.removeWindow', { base: 0 })).toMatchObject({ ok: false, errno: 'EOPNOTSUPP' });
  });
  it('with dmaWindows the default IOAS starts without windows; maps need one', () => {
    const e = env({ iommufd: { dmaWindows: true } });
    expect(run(e, 'iommufd.map', { uptr: BUF, length: P })).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(run(e, 'iommufd.createWindow', { size: GiB, base: GiB })).toMatchObject({
      ok: true,
      ret: { base: GiB, size: GiB, pageSize: P },
    });
    expect(run(e, 'iommufd.map', { uptr: BUF, length: P })).toMatchObject({ ok: true, ret: GiB });
    expect(run(e, 'iommufd.removeWindow', { base: GiB })).toMatchObject({ ok: true, ret: P });
    expect(e.process.lockedPages).toBe(0);
  });
  it('bad arguments are rejected by the schema', () => {
    const map = IOMMUFD_OPS.find((o) => o.name === 'iommufd.map')!;
    expect(map.args.safeParse({ length: P }).success).toBe(false);
    expect(map.args.safeParse({ uptr: BUF, length: P, bogus: 1 }).success).toBe(false);
    expect(map.args.safeParse({ uptr: '0xzz', length: P }).success).toBe(false);
  });
  it('a failing first use of a string-named IOAS leaves no IOAS behind', () => {
    for (const n of [1, 2]) {
      // n = 1 fails IOAS_ALLOC, n = 2 the domain allocation of the implicit attach
      const e = env({}, new FaultInjector(n));
      expect(run(e, 'iommufd.map', { uptr: BUF, length: P })).toMatchObject({ ok: false, errno: 'ENOMEM' });
      expect(run(e, 'iommufd.iovaRanges', { ioas: 1 })).toMatchObject({ ok: false, errno: 'ENOENT' });
    }
  });
  it('the memlock limit applies to iommufd pins (ENOMEM)', () => {
    const e = env({ vfio: { memlockBytes: P } });
    expect(run(e, 'iommufd.map', { uptr: BUF, length: 2 * P })).toMatchObject({ ok: false, errno: 'ENOMEM', lane: 'iommufd.ioas0' });
    expect(metrics(e)['iommufd.mapFailures']).toBe(1);
  });
  it('every metric the ops report is in IOMMUFD_METRICS', () => {
    const e = env();
    run(e, 'iommufd.map', { uptr: BUF, length: P });
    run(e, 'iommufd.unmap', { iova: 0, length: '0xffffffffffffffff' });
    const names = new Set(IOMMUFD_METRICS.map((m) => m.name));
    for (const k of Object.keys(metrics(e))) expect(names.has(k), k).toBe(true);
  });
  it('reports a cost: ioctl plus pinning plus domain map', () => {
    const e = env();
    run(e, 'iommufd.ioasAlloc', { name: 'x' });
    run(e, 'iommufd.attach', { ioas: 'x', device: 'd' });
    const r = run(e, 'iommufd.map', { ioas: 'x', iova: 2 * MiB, uptr: BUF, length: 2 * MiB });
    const c = resolveCostTable();
    expect(r.costNs).toBe(c.vfioMapIoctlNs + 512 * c.vfioPinPerPageNs + c.hostIommuMapNs + c.hostPteWriteNs);
  });
});
