import { describe, expect, it } from 'vitest';
import { EEXIST, EFAULT, EINVAL, ENOMEM, ENOSPC } from '../base/errno';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess, type MemoryBacking } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_VADDR, VFIO_DMA_MAP_FLAG_WRITE } from './vfioContainerApi';
import { VfioType1Container } from './vfioType1';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';

const KiB = 1024;
const MiB = 1024 * KiB;
const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const IOVA = 0x1000_0000;
const VADDR = 0x7f00_0000_0000;

interface Setup {
  version?: 1 | 2;
  limit?: number;
  memlockPages?: number | null;
  capIpcLock?: boolean;
  backing?: MemoryBacking;
  disableHugepages?: boolean;
  geometry?: IommuGeometry;
  process?: HostProcess;
  faults?: FaultInjector;
}

function setup(o: Setup = {}) {
  const costs = resolveCostTable();
  const process =
    o.process ??
    new HostProcess({
      memlockBytes: o.memlockPages === undefined || o.memlockPages === null ? null : o.memlockPages * PAGE_SIZE,
      capIpcLock: o.capIpcLock ?? false,
      backing: o.backing ?? '4k',
      userAddressEnd: 2 ** 47,
    });
  const c = new VfioType1Container('c0', o.version ?? 2, {
    process,
    costs,
    faults: o.faults ?? new FaultInjector(),
    dmaEntryLimit: o.limit ?? 65535,
    disableHugepages: o.disableHugepages ?? false,
    geometry: o.geometry ?? defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  return { c, process, costs };
}

function metrics(c: VfioType1Container): MetricMap {
  const m: MetricMap = {};
  c.collectMetrics(m);
  return m;
}

/** Asserts the call failed with `errno` and changed nothing. */
function expectRefused(c: VfioType1Container, call: () => number, errno: number): void {
  const before = c.snapshot();
  expect(call()).toBe(errno);
  expect(c.snapshot()).toEqual(before);
  expect(c.checkInvariants()).toEqual([]);
}

describe('dma_entry_limit: one vfio_dma per MAP_DMA, dma_avail = limit - entries', () => {
  it('adjacent maps stay two entries (never merged) and each takes one unit of dma_avail', () => {
    const { c } = setup({ limit: 10 });
    expect(c.mapDma(IOVA, VADDR, PAGE_SIZE, RW)).toBe(0);
    expect(c.mapDma(IOVA + PAGE_SIZE, VADDR + PAGE_SIZE, PAGE_SIZE, RW)).toBe(0);
    expect(c.entries).toBe(2);
    expect(c.getInfo().dmaAvail).toBe(8);
  });
  it('no entries left -> ENOSPC, counted in vfio.enospc', () => {
    const { c } = setup({ limit: 3 });
    for (let i = 0; i < 3; i++) expect(c.mapDma(IOVA + i * PAGE_SIZE, VADDR, PAGE_SIZE, RW)).toBe(0);
    expectRefused(c, () => c.mapDma(IOVA + 8 * PAGE_SIZE, VADDR, PAGE_SIZE, RW), ENOSPC);
    expect(metrics(c)['vfio.enospc']).toBe(1);
    expect(metrics(c)['vfio.entriesPeak']).toBe(3);
  });
  it('an unmap gives its entry back', () => {
    const { c } = setup({ limit: 1 });
    expect(c.mapDma(IOVA, VADDR, PAGE_SIZE, RW)).toBe(0);
    expect(c.unmapDma(IOVA, PAGE_SIZE, 0)).toBe(0);
    expect(c.getInfo().dmaAvail).toBe(1);
    expect(c.mapDma(IOVA, VADDR, PAGE_SIZE, RW)).toBe(0);
  });
});

describe('MAP_DMA argument checks, in vfio_dma_do_map order', () => {
  it('flags outside READ|WRITE|VADDR -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, VADDR, PAGE_SIZE, RW | 8), EINVAL);
    expectRefused(c, () => c.mapDma(IOVA, VADDR, PAGE_SIZE, (RW | 0x8000_0000) >>> 0), EINVAL);
  });
  it('neither READ nor WRITE -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, VADDR, PAGE_SIZE, 0), EINVAL);
  });
  it('READ or WRITE together with VADDR -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, VADDR, PAGE_SIZE, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
  });
  it('READ alone and WRITE alone are each enough', () => {
    const { c } = setup();
    expect(c.mapDma(IOVA, VADDR, PAGE_SIZE, VFIO_DMA_MAP_FLAG_READ)).toBe(0);
    expect(c.mapDma(IOVA + PAGE_SIZE, VADDR, PAGE_SIZE, VFIO_DMA_MAP_FLAG_WRITE)).toBe(0);
  });
  it('size 0 -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, VADDR, 0, RW), EINVAL);
  });
  it('size, iova or vaddr not aligned to the smallest page -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, VADDR, PAGE_SIZE + 512, RW), EINVAL);
    expectRefused(c, () => c.mapDma(IOVA + 512, VADDR, PAGE_SIZE, RW), EINVAL);
    expectRefused(c, () => c.mapDma(IOVA, VADDR + 512, PAGE_SIZE, RW), EINVAL);
  });
  it('the smallest page is the IOMMU minimum: with 64 KiB pages a 4 KiB-aligned iova -> EINVAL', () => {
    const geometry = { ...defaultIommuGeometry('ppc64le'), pageSizes: [64 * KiB, 2 * MiB] };
    const { c } = setup({ geometry });
    expectRefused(c, () => c.mapDma(IOVA + PAGE_SIZE, VADDR, 64 * KiB, RW), EINVAL);
    expect(c.mapDma(IOVA, VADDR, 64 * KiB, RW)).toBe(0);
  });
  it('iova + size - 1 wrapping past 2^64 -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(2 ** 64 - PAGE_SIZE, VADDR, 2 * PAGE_SIZE, RW), EINVAL);
  });
  it('vaddr + size - 1 wrapping past 2^64 -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, 2 ** 64 - PAGE_SIZE, 2 * PAGE_SIZE, RW), EINVAL);
  });
  it('0xffffffffffffffff (a double rounds it to 2^64) is never aligned -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(IOVA, VADDR, 2 ** 64, RW), EINVAL);
  });
  it('mappings may end exactly at 2^64 and sit adjacent there without a false overlap', () => {
    const geometry = { ...defaultIommuGeometry('x86_64'), apertureLast: 2 ** 64 - 1 };
    const { c } = setup({ geometry });
    expect(c.mapDma(2 ** 64 - 2 * PAGE_SIZE, VADDR, PAGE_SIZE, RW)).toBe(0);
    expect(c.mapDma(2 ** 64 - PAGE_SIZE, VADDR, PAGE_SIZE, RW)).toBe(0);
    expect(c.entries).toBe(2);
    expect(c.unmapDma(2 ** 64 - PAGE_SIZE, PAGE_SIZE, 0)).toBe(0);
    expect(c.lastUnmappedBytes).toBe(PAGE_SIZE);
  });
  it('overlap with an existing mapping -> EEXIST (inside, either edge, superset)', () => {
    const { c } = setup();
    expect(c.mapDma(IOVA + 4 * PAGE_SIZE, VADDR, 4 * PAGE_SIZE, RW)).toBe(0);
    for (const [start, pages] of [
      [4, 1],
      [7, 1],
      [3, 2],
      [7, 3],
      [2, 10],
    ] as const) {
      expectRefused(c, () => c.mapDma(IOVA + start * PAGE_SIZE, VADDR, pages * PAGE_SIZE, RW), EEXIST);
    }
  });
  it('EEXIST is checked before ENOSPC', () => {
    const { c } = setup({ limit: 1 });
    expect(c.mapDma(IOVA, VADDR, PAGE_SIZE, RW)).toBe(0);
    expectRefused(c, () => c.mapDma(IOVA, VADDR, PAGE_SIZE, RW), EEXIST);
  });
  it('ENOSPC is checked before the valid IOVA range', () => {
    const { c } = setup({ limit: 1 });
    expect(c.mapDma(IOVA, VADDR, PAGE_SIZE, RW)).toBe(0);
    expectRefused(c, () => c.mapDma(0xfee00000, VADDR, PAGE_SIZE, RW), ENOSPC);
  });
  it('not inside one valid IOVA range -> EINVAL (MSI window, straddling it, past the aperture)', () => {
    const { c } = setup();
    expectRefused(c, () => c.mapDma(0xfee00000, VADDR, PAGE_SIZE, RW), EINVAL);
    expectRefused(c, () => c.mapDma(0xfedff000, VADDR, 2 * PAGE_SIZE, RW), EINVAL);
    expectRefused(c, () => c.mapDma(2 ** 48 - PAGE_SIZE, VADDR, 2 * PAGE_SIZE, RW), EINVAL);
    expect(c.mapDma(0xfedff000, VADDR, PAGE_SIZE, RW)).toBe(0);
    expect(c.mapDma(0xfef00000, VADDR, PAGE_SIZE, RW)).toBe(0);
  });
});

describe('pinning: EFAULT, RLIMIT_MEMLOCK and CAP_IPC_LOCK (vfio_pin_pages_remote)', () => {
  it('a vaddr not mapped in the process -> EFAULT, nothing left behind', () => {
    const { c, process } = setup();
    expectRefused(c, () => c.mapDma(IOVA, 0, PAGE_SIZE, RW), EFAULT);
    // Mapped for its first pages only: the pins made before the fault are undone.
    expectRefused(c, () => c.mapDma(IOVA, 2 ** 47 - 2 * PAGE_SIZE, 4 * PAGE_SIZE, RW), EFAULT);
    expect(process.lockedPages).toBe(0);
  });
  it('exceeding RLIMIT_MEMLOCK -> ENOMEM and the whole request is undone', () => {
    const { c, process } = setup({ memlockPages: 16 });
    expect(c.mapDma(IOVA, VADDR, 10 * PAGE_SIZE, RW)).toBe(0);
    expectRefused(c, () => c.mapDma(IOVA + MiB, VADDR + MiB, 7 * PAGE_SIZE, RW), ENOMEM);
    expect(process.lockedPages).toBe(10);
    expect(process.memlockFailures).toBe(1);
    expect(c.mapDma(IOVA + MiB, VADDR + MiB, 6 * PAGE_SIZE, RW)).toBe(0);
    expect(process.lockedPages).toBe(16);
  });
  it('the limit is crossed inside a large hugepage run: ENOMEM with no pins, charges or PTEs left', () => {
    const { c, process } = setup({ memlockPages: 700, backing: 'thp' });
    expectRefused(c, () => c.mapDma(2 * MiB, 2 * MiB, 4 * MiB, RW), ENOMEM);
    expect(process.lockedPages).toBe(0);
  });
  it('CAP_IPC_LOCK lifts the limit but every page is still counted', () => {
    const { c, process } = setup({ memlockPages: 0, capIpcLock: true });
    expect(c.mapDma(IOVA, VADDR, 8 * PAGE_SIZE, RW)).toBe(0);
    expect(process.lockedPages).toBe(8);
  });
  it('the same vaddr mapped through two containers of one process is charged twice', () => {
    const shared = setup({ memlockPages: 12 });
    const other = setup({ process: shared.process });
    expect(shared.c.mapDma(IOVA, VADDR, 6 * PAGE_SIZE, RW)).toBe(0);
    expect(other.c.mapDma(IOVA, VADDR, 6 * PAGE_SIZE, RW)).toBe(0);
    expect(shared.process.lockedPages).toBe(12);
    expectRefused(other.c, () => other.c.mapDma(IOVA + MiB, VADDR, PAGE_SIZE, RW), ENOMEM);
  });
});

describe('batches, runs and superpages (vfio_pin_map_dma)', () => {
  it('pins in batches of 512 pages', () => {
    const { c } = setup();
    expect(c.mapDma(IOVA, VADDR, 1025 * PAGE_SIZE, RW)).toBe(0);
    expect(metrics(c)['vfio.pinBatches']).toBe(3);
  });
  it('one host IOMMU map per physically contiguous run: 4 KiB backing maps page by page', () => {
    const { c } = setup({ backing: '4k' });
    expect(c.mapDma(IOVA, VADDR, 8 * PAGE_SIZE, RW)).toBe(0);
    expect([metrics(c)['vfio.hostIommuMaps'], metrics(c)['vfio.hostPtesPeak']]).toEqual([8, 8]);
  });
  it('2 MiB-backed runs at congruent addresses become 2 MiB superpages', () => {
    const { c } = setup({ backing: 'hugepages-2m' });
    expect(c.mapDma(2 * MiB, 0x4000_0000, 4 * MiB, RW)).toBe(0);
    expect([metrics(c)['vfio.pinBatches'], metrics(c)['vfio.hostIommuMaps'], metrics(c)['vfio.hostPtesPeak']]).toEqual([2, 2, 2]);
  });
  it('an IOVA not congruent with the backing modulo 2 MiB falls back to 4 KiB PTEs', () => {
    const { c } = setup({ backing: 'hugepages-2m' });
    expect(c.mapDma(2 * MiB + PAGE_SIZE, 0x4000_0000, 2 * MiB, RW)).toBe(0);
    expect(metrics(c)['vfio.hostPtesPeak']).toBe(512);
  });
  it('disable_hugepages maps every 4 KiB page separately', () => {
    const { c } = setup({ backing: 'hugepages-2m', disableHugepages: true });
    expect(c.mapDma(2 * MiB, 0x4000_0000, 2 * MiB, RW)).toBe(0);
    const m = metrics(c);
    expect([m['vfio.pinBatches'], m['vfio.hostIommuMaps'], m['vfio.hostPtesPeak']]).toEqual([512, 512, 512]);
    expect(c.checkInvariants()).toEqual([]);
    expect(c.unmapDma(2 * MiB, 2 * MiB, 0)).toBe(0);
    expect(c.checkInvariants()).toEqual([]);
  });
});

describe('costs of MAP_DMA and UNMAP_DMA', () => {
  it('map = ioctl + pin per page + (host map + PTE writes) per run', () => {
    const { c, costs } = setup({ backing: '4k' });
    expect(c.mapDma(IOVA, VADDR, 8 * PAGE_SIZE, RW)).toBe(0);
    expect(c.lastCostNs).toBe(costs.vfioMapIoctlNs + 8 * costs.vfioPinPerPageNs + 8 * (costs.hostIommuMapNs + costs.hostPteWriteNs));
  });
  it('unmap = ioctl + unpin per page + host unmap per run + one IOTLB sync per 512 regions', () => {
    const { c, costs } = setup({ backing: '4k' });
    expect(c.mapDma(IOVA, VADDR, 1025 * PAGE_SIZE, RW)).toBe(0);
    expect(c.unmapDma(IOVA, 1025 * PAGE_SIZE, 0)).toBe(0);
    const perRun = costs.hostIommuMapNs + costs.hostPteWriteNs;
    expect(c.lastCostNs).toBe(costs.vfioUnmapIoctlNs + 1025 * costs.vfioUnpinPerPageNs + 1025 * perRun + 3 * costs.hostIotlbInvalidationNs);
  });
  it('a refused map costs the ioctl only', () => {
    const { c, costs } = setup();
    expect(c.mapDma(IOVA, VADDR, 0, RW)).toBe(EINVAL);
    expect(c.lastCostNs).toBe(costs.vfioMapIoctlNs);
    expect(metrics(c)['vfio.mapFailures']).toBe(1);
  });
});

describe('what a device DMA reaches (translates): the host IOMMU view of the mappings', () => {
  it('a range translates when mappings leave no page of it uncovered, adjacent mappings included', () => {
    const { c } = setup();
    expect(c.attachDevice('dev0')).toBe(0);
    expect(c.mapDma(IOVA, VADDR, 2 * PAGE_SIZE, RW)).toBe(0);
    expect(c.mapDma(IOVA + 2 * PAGE_SIZE, VADDR + 2 * PAGE_SIZE, PAGE_SIZE, RW)).toBe(0);
    expect(c.translates(IOVA, 3 * PAGE_SIZE)).toBe(true);
    expect(c.translates(IOVA + 100, 2 * PAGE_SIZE)).toBe(true);
    expect(c.translates(IOVA, 4 * PAGE_SIZE)).toBe(false);
    expect(c.translates(IOVA - 1, 2)).toBe(false);
    expect(c.translates(IOVA, 0)).toBe(false);
    expect(c.unmapDma(IOVA + PAGE_SIZE, PAGE_SIZE, 0)).toBe(EINVAL); // v2 refuses to bisect: still mapped
    expect(c.translates(IOVA + PAGE_SIZE, 1)).toBe(true);
    expect(c.unmapDma(IOVA + 2 * PAGE_SIZE, PAGE_SIZE, 0)).toBe(0);
    expect(c.translates(IOVA, 3 * PAGE_SIZE)).toBe(false);
    expect(c.translates(IOVA, 2 * PAGE_SIZE)).toBe(true);
  });
});
