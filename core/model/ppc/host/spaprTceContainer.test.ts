import { describe, expect, it } from 'vitest';
import { EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, ENOTTY, ENXIO, EPERM, OK } from '../../base/errno';
import { HostProcess, type MemoryBacking } from '../../host/hostProcess';
import { MmIommuMemList } from './mmIommuMemList';
import { SpaprTceContainer } from './spaprTceContainer';
import { SPAPR_INFO_DDW, spaprTableBytes, type SpaprPlatform } from './spaprTceWindows';
import { FaultInjector } from '../../../sim/faultInjector';
import { resolveCostTable } from '../../../sim/costTable';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const RW = 3;
const VA = 0x7f00_0000_0000;

const PLATFORM: SpaprPlatform = {
  tce32Start: 0,
  tce32SizeBytes: 2 * GiB,
  ddwStart: 2 ** 59,
  pageShifts: [12, 16, 21, 30],
  maxLevels: 5,
  maxWindows: 2,
  hostPageShift: 16,
  tce32PageShift: 12,
};

interface Setup {
  c: SpaprTceContainer;
  mm: MmIommuMemList;
  proc: HostProcess;
  faults: FaultInjector;
  another: () => SpaprTceContainer;
}

function setup(
  version: 1 | 2,
  opts: { memlockBytes?: number | null; backing?: MemoryBacking; platform?: Partial<SpaprPlatform>; failAt?: number } = {},
): Setup {
  const proc = new HostProcess({
    memlockBytes: opts.memlockBytes ?? null,
    capIpcLock: false,
    backing: opts.backing ?? 'thp',
    userAddressEnd: 2 ** 47,
  });
  const faults = new FaultInjector(opts.failAt ?? 0);
  const platform = { ...PLATFORM, ...opts.platform };
  const mm = new MmIommuMemList(proc, faults, platform.hostPageShift);
  const costs = resolveCostTable();
  const make = (name: string) => new SpaprTceContainer(`spapr.${name}`, version, platform, proc, mm, faults, costs);
  return { c: make('container0'), mm, proc, faults, another: () => make('container1') };
}

/** Locked pages of the process = pre-registered pages + what each container charged. */
function accounted(s: Setup, ...cs: SpaprTceContainer[]): void {
  expect(s.proc.lockedPages).toBe(s.mm.lockedPages + cs.reduce((n, c) => n + c.chargedPages, 0));
  expect([...s.mm.checkInvariants(), ...cs.flatMap((c) => c.checkInvariants())]).toEqual([]);
}

/** Runs `call`, expects `rc` and an unchanged state. */
function refused(s: Setup, rc: number, call: () => number): void {
  const before = JSON.stringify([s.c.snapshot(), s.mm.snapshot(), s.proc.lockedPages]);
  expect(call()).toBe(rc);
  expect(JSON.stringify([s.c.snapshot(), s.mm.snapshot(), s.proc.lockedPages])).toBe(before);
  accounted(s, s.c);
}

/** v2 container with 1 GiB registered at VA. */
function registered(opts: Parameters<typeof setup>[1] = {}): Setup {
  const s = setup(2, opts);
  expect(s.c.registerMemory(VA, GiB)).toBe(OK);
  return s;
}

describe('v1: ENABLE (tce_iommu_enable)', () => {
  it('charges the whole default 32-bit window to locked memory', () => {
    const s = setup(1);
    expect(s.c.enable()).toBe(OK);
    expect(s.proc.lockedPages).toBe((2 * GiB) / 4096);
    accounted(s, s.c);
  });

  it('refuses with ENOMEM over RLIMIT_MEMLOCK and stays disabled', () => {
    const s = setup(1, { memlockBytes: GiB });
    refused(s, ENOMEM, () => s.c.enable());
    expect(s.c.mapDma(0, VA, 4096, RW)).toBe(EPERM);
  });

  it('refuses a second ENABLE with EBUSY', () => {
    const s = setup(1);
    s.c.enable();
    refused(s, EBUSY, () => s.c.enable());
  });

  it('is not a v2 ioctl (ENOTTY), and v1 has no pre-registration or window ioctls (ENOTTY)', () => {
    expect(setup(2).c.enable()).toBe(ENOTTY);
    const s = setup(1);
    expect([s.c.registerMemory(VA, MiB), s.c.unregisterMemory(VA, MiB), s.c.createWindow(16, GiB, 1), s.c.removeWindow(0)]).toEqual([
      ENOTTY,
      ENOTTY,
      ENOTTY,
      ENOTTY,
    ]);
  });
});

describe('v1: MAP_DMA (tce_iommu_build)', () => {
  it('refuses a map before ENABLE with EPERM', () => {
    const s = setup(1);
    refused(s, EPERM, () => s.c.mapDma(0, VA, 4096, RW));
  });

  it('pins one page per TCE and charges nothing beyond ENABLE', () => {
    const s = setup(1);
    s.c.enable();
    const locked = s.proc.lockedPages;
    expect(s.c.mapDma(0x10000, VA, 64 * KiB, RW)).toBe(OK);
    expect(s.c.pinnedV1Pages).toBe(16);
    expect(s.c.liveTces).toBe(16);
    expect(s.proc.lockedPages).toBe(locked);
    accounted(s, s.c);
  });

  it('refuses with EFAULT when a page is not mapped, unpinning what it pinned', () => {
    const s = setup(1);
    s.c.enable();
    refused(s, EFAULT, () => s.c.mapDma(0, 2 ** 47 - 8192, 16384, RW));
  });

  it('refuses with EPERM when the IOMMU page is larger than the backing page (tce_page_is_contained)', () => {
    const s = setup(1, { backing: '4k', platform: { tce32PageShift: 16, hostPageShift: 12 } });
    s.c.enable();
    refused(s, EPERM, () => s.c.mapDma(0, VA, 64 * KiB, RW));
    const t = setup(1, { backing: 'thp', platform: { tce32PageShift: 16, hostPageShift: 12 } });
    t.c.enable();
    expect(t.c.mapDma(0, VA, 64 * KiB, RW)).toBe(OK);
  });

  it('replaces live TCEs it maps over (no EEXIST) and releases their pins', () => {
    const s = setup(1);
    s.c.enable();
    s.c.mapDma(0, VA, 16 * KiB, RW);
    expect(s.c.mapDma(8 * KiB, VA + MiB, 16 * KiB, RW)).toBe(OK);
    expect(s.c.liveTces).toBe(6);
    expect(s.c.pinnedV1Pages).toBe(6);
    accounted(s, s.c);
  });
});

describe('v2: REGISTER_MEMORY (tce_iommu_register_pages, mm_iommu_new)', () => {
  it('pins and charges the range once', () => {
    const s = registered();
    expect(s.proc.lockedPages).toBe(GiB / 4096);
    accounted(s, s.c);
  });

  it('refuses the same range again in the same container with EBUSY', () => {
    const s = registered();
    refused(s, EBUSY, () => s.c.registerMemory(VA, GiB));
  });

  it('lets a second container register the same range without a second charge (one mm list)', () => {
    const s = registered();
    const c2 = s.another();
    expect(c2.registerMemory(VA, GiB)).toBe(OK);
    expect(s.proc.lockedPages).toBe(GiB / 4096);
    accounted(s, s.c, c2);
  });

  it('refuses a range overlapping a registered one but not equal to it with EINVAL', () => {
    const s = registered();
    refused(s, EINVAL, () => s.c.registerMemory(VA + GiB - 64 * KiB, 128 * KiB));
    refused(s, EINVAL, () => s.c.registerMemory(VA, 2 * GiB));
  });

  it('refuses a range not aligned to the host page size, or wrapping past 2^64, with EINVAL', () => {
    const s = setup(2);
    refused(s, EINVAL, () => s.c.registerMemory(VA + 4096, 64 * KiB));
    refused(s, EINVAL, () => s.c.registerMemory(VA, 4096));
    refused(s, EINVAL, () => s.c.registerMemory(2 ** 64 - 64 * KiB, 64 * KiB));
  });

  it('refuses with ENOMEM over RLIMIT_MEMLOCK and with EFAULT for unmapped memory', () => {
    const s = setup(2, { memlockBytes: 512 * MiB });
    refused(s, ENOMEM, () => s.c.registerMemory(VA, GiB));
    refused(s, EFAULT, () => s.c.registerMemory(2 ** 47 - 64 * KiB, 128 * KiB));
  });
});

describe('v2: UNREGISTER_MEMORY (tce_iommu_unregister_pages, mm_iommu_put)', () => {
  it('refuses before the container has an mm (nothing registered or created yet) with EPERM', () => {
    const s = setup(2);
    refused(s, EPERM, () => s.c.unregisterMemory(VA, GiB));
  });

  it('refuses an unknown range, or one only another container registered, with ENOENT', () => {
    const s = registered();
    refused(s, ENOENT, () => s.c.unregisterMemory(VA, 2 * GiB));
    const c2 = s.another();
    c2.registerMemory(VA + 2 * GiB, GiB);
    refused(s, ENOENT, () => s.c.unregisterMemory(VA + 2 * GiB, GiB));
  });

  it('unpins and uncharges a region no TCE uses', () => {
    const s = registered();
    expect(s.c.unregisterMemory(VA, GiB)).toBe(OK);
    expect(s.proc.lockedPages).toBe(0);
    accounted(s, s.c);
  });

  it('answers 0 for a region TCEs still use but leaves it pinned and charged (the final put\u2019s EBUSY is ignored)', () => {
    const s = registered();
    expect(s.c.mapDma(0, VA, MiB, RW)).toBe(OK);
    const locked = s.proc.lockedPages;
    expect(s.c.unregisterMemory(VA, GiB)).toBe(OK);
    expect(s.proc.lockedPages).toBe(locked);
    expect((s.mm.snapshot() as { used: number }[])[0]!.used).toBe(1);
    // The container no longer holds it: a second UNREGISTER finds it in the mm but not here.
    expect(s.c.unregisterMemory(VA, GiB)).toBe(ENOENT);
    // The TCEs stay valid, and registering it again adopts the orphaned region without a charge.
    expect(s.c.mapDma(MiB, VA + MiB, MiB, RW)).toBe(OK);
    expect(s.c.registerMemory(VA, GiB)).toBe(OK);
    expect(s.proc.lockedPages).toBe(locked);
    accounted(s, s.c);
  });
});

describe('DMA windows', () => {
  it('creates the v2 default window lazily on the first map: 4K TCEs over the tce32 window at 0, table charged', () => {
    const s = registered();
    const before = s.proc.lockedPages;
    expect(s.c.mapDma(0, VA, 4096, RW)).toBe(OK);
    expect(s.c.windowsCreated).toBe(1);
    const tablePages = spaprTableBytes(12, 2 * GiB, 1, 5, 16) / 4096;
    expect(tablePages).toBe(2048); // 2^19 TCEs x 8 bytes, plus the userspace copy
    expect(s.proc.lockedPages - before).toBe(tablePages);
    accounted(s, s.c);
  });

  it('returns the DDW base 2^59 as the start of the second window', () => {
    const s = registered();
    expect(s.c.createWindow(16, GiB, 1)).toBe(OK);
    expect(s.c.lastStartAddr).toBe(2 ** 59);
    expect(s.c.windowsCreated).toBe(2);
    accounted(s, s.c);
  });

  it('refuses a third window with ENOSPC (tce_iommu_find_free_table)', () => {
    const s = registered();
    s.c.createWindow(16, GiB, 1);
    refused(s, ENOSPC, () => s.c.createWindow(16, GiB, 1));
  });

  it('refuses a second window with EPERM on a platform with one window', () => {
    const s = registered({ platform: { maxWindows: 1 } });
    refused(s, EPERM, () => s.c.createWindow(16, GiB, 1));
  });

  it('refuses an unsupported page size, a non-power-of-two size and bad levels with EINVAL', () => {
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    refused(s, EINVAL, () => s.c.createWindow(24, GiB, 1));
    refused(s, EINVAL, () => s.c.createWindow(16, 3 * GiB, 1));
    refused(s, EINVAL, () => s.c.createWindow(16, GiB, 0));
    refused(s, EINVAL, () => s.c.createWindow(16, GiB, 6));
    refused(s, EINVAL, () => s.c.createWindow(12, 2 ** 56, 1));
  });

  it('charges the table size to locked memory, ENOMEM when over RLIMIT_MEMLOCK', () => {
    const s = registered({ memlockBytes: GiB + 8 * MiB + 128 * MiB });
    s.c.mapDma(0, VA, 4096, RW);
    const before = s.proc.lockedPages;
    expect(s.c.createWindow(16, 512 * GiB, 1)).toBe(OK); // 2^23 TCEs: 64 MiB table x 2
    expect(s.proc.lockedPages - before).toBe((128 * MiB) / 4096);
    s.c.removeWindow(2 ** 59);
    refused(s, ENOMEM, () => s.c.createWindow(16, 1024 * GiB, 1));
  });

  it('removes the window holding an address, clearing its TCEs and uncharging its table', () => {
    const s = registered();
    s.c.createWindow(16, GiB, 1);
    const withTable = s.proc.lockedPages;
    s.c.mapDma(2 ** 59, VA, MiB, RW);
    expect(s.c.removeWindow(2 ** 59 + 64 * KiB)).toBe(OK);
    expect(s.c.liveTces).toBe(0);
    expect(withTable - s.proc.lockedPages).toBe(spaprTableBytes(16, GiB, 1, 5, 16) / 4096);
    expect(s.c.mapDma(2 ** 59, VA, MiB, RW)).toBe(ENXIO);
    accounted(s, s.c);
  });

  it('refuses to remove an address in no window with EINVAL', () => {
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    refused(s, EINVAL, () => s.c.removeWindow(2 ** 59));
  });

  it('cancels the pending default window on REMOVE(0); a later TCE_CREATE gets slot 0 at address 0', () => {
    const s = registered();
    expect(s.c.removeWindow(0)).toBe(OK);
    expect(s.c.mapDma(0, VA, 4096, RW)).toBe(ENXIO);
    expect(s.c.createWindow(16, 4 * GiB, 1)).toBe(OK);
    expect(s.c.lastStartAddr).toBe(0);
    expect(s.c.mapDma(0, VA, 64 * KiB, RW)).toBe(OK);
    accounted(s, s.c);
  });
});

describe('MAP_DMA checks (tce_iommu_ioctl)', () => {
  it('refuses an IOVA in no window with ENXIO', () => {
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    refused(s, ENXIO, () => s.c.mapDma(2 * GiB, VA, 4096, RW));
    refused(s, ENXIO, () => s.c.mapDma(2 ** 58, VA, 4096, RW));
  });

  it('refuses a v2 map before any REGISTER_MEMORY with EPERM', () => {
    const s = setup(2);
    refused(s, EPERM, () => s.c.mapDma(0, VA, 4096, RW));
  });

  it('refuses size, vaddr or IOVA not aligned to the window page size with EINVAL', () => {
    const s = registered();
    s.c.createWindow(16, GiB, 1);
    refused(s, EINVAL, () => s.c.mapDma(2 ** 59, VA, 4096, RW));
    refused(s, EINVAL, () => s.c.mapDma(2 ** 59, VA + 4096, 64 * KiB, RW));
    refused(s, EINVAL, () => s.c.mapDma(2 ** 59 + 4096, VA, 64 * KiB, RW));
  });

  it('refuses unknown flags, and a map with neither READ nor WRITE, with EINVAL', () => {
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    refused(s, EINVAL, () => s.c.mapDma(0, VA, 4096, RW | 4));
    refused(s, EINVAL, () => s.c.mapDma(0, VA, 4096, 0));
  });

  it('refuses a v2 map of memory that is not (fully) pre-registered with EINVAL', () => {
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    refused(s, EINVAL, () => s.c.mapDma(0, VA + 2 * GiB, 4096, RW));
    refused(s, EINVAL, () => s.c.mapDma(0, VA + GiB - 4096, 8192, RW));
  });

  it('v2: TCEs larger than the host page need hugetlbfs-backed registered memory (mm_iommu_ua_to_hpa: EINVAL)', () => {
    const thp = registered({ platform: { hostPageShift: 12 } });
    thp.c.createWindow(16, GiB, 1);
    refused(thp, EINVAL, () => thp.c.mapDma(2 ** 59, VA, 64 * KiB, RW));
    const base64k = registered();
    base64k.c.createWindow(16, GiB, 1);
    expect(base64k.c.mapDma(2 ** 59, VA, 64 * KiB, RW)).toBe(OK);
    const huge = registered({ backing: 'hugepages-2m' });
    huge.c.createWindow(21, GiB, 1);
    expect(huge.c.mapDma(2 ** 59, VA, 2 * MiB, RW)).toBe(OK);
    const thp2m = registered();
    thp2m.c.createWindow(21, GiB, 1);
    refused(thp2m, EINVAL, () => thp2m.c.mapDma(2 ** 59, VA, 2 * MiB, RW));
  });

  it('refuses a range running past the end of its window with EINVAL (the kernel checks only the first TCE)', () => {
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    refused(s, EINVAL, () => s.c.mapDma(2 * GiB - 4096, VA, 8192, RW));
  });

  it('maps across two adjacent registered regions and counts TCEs in each', () => {
    const s = registered();
    s.c.registerMemory(VA + GiB, GiB);
    expect(s.c.mapDma(0, VA + GiB - MiB, 2 * MiB, RW)).toBe(OK);
    expect((s.mm.snapshot() as { mappedTces: number }[]).map((r) => r.mappedTces)).toEqual([256, 256]);
    accounted(s, s.c);
  });
});

describe('UNMAP_DMA (tce_iommu_clear)', () => {
  it('clears any TCE-aligned sub-range, splitting a mapping, and returns the bytes of live TCEs cleared', () => {
    const s = registered();
    s.c.mapDma(0, VA, 64 * KiB, RW);
    expect(s.c.unmapDma(16 * KiB, 8 * KiB, 0)).toBe(OK);
    expect(s.c.lastUnmappedBytes).toBe(8 * KiB);
    expect(s.c.liveTces).toBe(14);
    expect(s.c.unmapDma(0, 128 * KiB, 0)).toBe(OK);
    expect(s.c.lastUnmappedBytes).toBe(56 * KiB);
    expect(s.c.unmapDma(0, 128 * KiB, 0)).toBe(OK);
    expect(s.c.lastUnmappedBytes).toBe(0);
    accounted(s, s.c);
  });

  it('refuses flags with EINVAL, an IOVA in no window with ENXIO, misalignment with EINVAL, before enabling with EPERM', () => {
    expect(setup(1).c.unmapDma(0, 4096, 0)).toBe(EPERM);
    const s = registered();
    s.c.mapDma(0, VA, 64 * KiB, RW);
    refused(s, EINVAL, () => s.c.unmapDma(0, 4096, 1));
    refused(s, ENXIO, () => s.c.unmapDma(4 * GiB, 4096, 0));
    refused(s, EINVAL, () => s.c.unmapDma(0, 100, 0));
    refused(s, EINVAL, () => s.c.unmapDma(100, 4096, 0));
  });
});

describe('GET_INFO', () => {
  it('reports the dma32 window; v2 adds DDW page sizes, windows and levels', () => {
    expect(setup(1).c.getInfo()).toEqual({ dma32WindowStart: 0, dma32WindowSize: 2 * GiB, flags: 0, ddw: null });
    expect(setup(2).c.getInfo()).toEqual({
      dma32WindowStart: 0,
      dma32WindowSize: 2 * GiB,
      flags: SPAPR_INFO_DDW,
      ddw: { pgsizes: 4 * KiB + 64 * KiB + 2 * MiB + GiB, maxDynamicWindowsSupported: 2, levels: 5 },
    });
  });
});

describe('costs and metrics', () => {
  it('charges the ioctl, one PTE write per TCE and one invalidation per map; v1 adds a pin per TCE', () => {
    const costs = resolveCostTable();
    const s = registered();
    s.c.mapDma(0, VA, 4096, RW);
    expect(s.c.mapDma(0x10000, VA, 64 * KiB, RW)).toBe(OK);
    expect(s.c.lastCostNs).toBe(costs.vfioMapIoctlNs + 16 * costs.hostPteWriteNs + costs.hostIotlbInvalidationNs);
    const v1 = setup(1);
    v1.c.enable();
    v1.c.mapDma(0, VA, 64 * KiB, RW);
    expect(v1.c.lastCostNs).toBe(
      costs.vfioMapIoctlNs + 16 * (costs.hostPteWriteNs + costs.vfioPinPerPageNs) + costs.hostIotlbInvalidationNs,
    );
  });

  it('reports map/unmap ioctls, failures, peak TCEs, windows created and the registered peak', () => {
    const s = registered();
    s.c.mapDma(0, VA, 64 * KiB, RW);
    s.c.mapDma(4 * GiB, VA, 64 * KiB, RW);
    s.c.unmapDma(0, 64 * KiB, 0);
    const into: Record<string, number> = {};
    s.c.collectMetrics(into);
    s.mm.collectMetrics(into);
    expect(into).toEqual({
      'spapr.mapIoctls': 2,
      'spapr.unmapIoctls': 1,
      'spapr.mapFailures': 1,
      'spapr.windowsCreated': 1,
      'spapr.tcesPeak': 16,
      'spapr.registeredBytesPeak': GiB,
    });
  });
});
