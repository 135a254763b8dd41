import { describe, expect, it } from 'vitest';
import { EINVAL, ENOENT } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_DMA_UNMAP_FLAG_VADDR,
} from './vfioContainerApi';
import { VfioType1Container } from './vfioType1';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';

const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const P = PAGE_SIZE;
const BASE = 0x1000_0000;
const VADDR = 0x7f00_0000_0000;

function setup(version: 1 | 2) {
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 });
  const c = new VfioType1Container('c0', version, {
    process,
    costs: resolveCostTable(),
    faults: new FaultInjector(),
    dmaEntryLimit: 65535,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  return { c, process };
}

/** Maps [BASE + start*P, +pages*P) for each [start, pages]. */
function mapPages(c: VfioType1Container, ...ranges: [number, number][]): void {
  for (const [start, pages] of ranges) expect(c.mapDma(BASE + start * P, VADDR + start * P, pages * P, RW)).toBe(0);
}

function unmap(c: VfioType1Container, start: number, pages: number, flags = 0): { errno: number; bytes: number } {
  const errno = c.unmapDma(BASE + start * P, pages * P, flags);
  return { errno, bytes: c.lastUnmappedBytes };
}

function expectRefused(c: VfioType1Container, call: () => number, errno: number): void {
  const before = c.snapshot();
  expect(call()).toBe(errno);
  expect(c.snapshot()).toEqual(before);
}

describe.each([1, 2] as const)('UNMAP_DMA argument checks (type1 v%i)', (version) => {
  it('iova not aligned to the smallest page -> EINVAL', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4]);
    expectRefused(c, () => c.unmapDma(BASE + 512, P, 0), EINVAL);
  });
  it('size 0 or not aligned -> EINVAL', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4]);
    expectRefused(c, () => c.unmapDma(BASE, 0, 0), EINVAL);
    expectRefused(c, () => c.unmapDma(BASE, P + 1, 0), EINVAL);
  });
  it('iova + size - 1 wrapping past 2^64 -> EINVAL', () => {
    const { c } = setup(version);
    expectRefused(c, () => c.unmapDma(2 ** 64 - P, 2 * P, 0), EINVAL);
  });
  it('size 0xffffffffffffffff without FLAG_ALL is misaligned -> EINVAL', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4]);
    expectRefused(c, () => c.unmapDma(0, 2 ** 64, 0), EINVAL);
  });
  it('unknown flags -> EINVAL', () => {
    const { c } = setup(version);
    mapPages(c, [0, 1]);
    expectRefused(c, () => c.unmapDma(BASE, P, 8), EINVAL);
  });
  it('GET_DIRTY_BITMAP without dirty tracking, or with ALL or VADDR -> EINVAL', () => {
    const { c } = setup(version);
    mapPages(c, [0, 1]);
    expectRefused(c, () => c.unmapDma(BASE, P, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), EINVAL);
    expectRefused(c, () => c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL), EINVAL);
    expectRefused(c, () => c.unmapDma(BASE, P, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR), EINVAL);
  });
  it('FLAG_ALL requires iova = size = 0 -> EINVAL otherwise', () => {
    const { c } = setup(version);
    mapPages(c, [0, 1]);
    expectRefused(c, () => c.unmapDma(BASE, 0, VFIO_DMA_UNMAP_FLAG_ALL), EINVAL);
    expectRefused(c, () => c.unmapDma(0, P, VFIO_DMA_UNMAP_FLAG_ALL), EINVAL);
  });
  it('FLAG_ALL removes every mapping and returns their bytes, uncharging and unmapping all', () => {
    const { c, process } = setup(version);
    mapPages(c, [0, 4], [10, 2], [20, 1]);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(0);
    expect([c.lastUnmappedBytes, c.entries, c.getInfo().dmaAvail, process.lockedPages]).toEqual([7 * P, 0, 65535, 0]);
    expect(c.checkInvariants()).toEqual([]);
  });
  it('FLAG_ALL on an empty container succeeds with 0 bytes', () => {
    const { c } = setup(version);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(0);
    expect(c.lastUnmappedBytes).toBe(0);
  });
  it('a range with no mapping succeeds with 0 bytes', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4]);
    expect(unmap(c, 8, 4)).toEqual({ errno: 0, bytes: 0 });
    expect(c.entries).toBe(1);
  });
  it('a range covering whole mappings removes them in order and returns their bytes', () => {
    const { c, process } = setup(version);
    mapPages(c, [0, 4], [4, 2], [8, 1], [12, 1]);
    expect(unmap(c, 0, 12)).toEqual({ errno: 0, bytes: 7 * P });
    expect([c.entries, process.lockedPages]).toEqual([1, 1]);
    expect(c.checkInvariants()).toEqual([]);
  });
});

describe('UNMAP_DMA type1 v2: no bisecting', () => {
  it('a range whose first byte lies inside a mapping that starts earlier -> EINVAL', () => {
    const { c } = setup(2);
    mapPages(c, [0, 4]);
    expectRefused(c, () => unmap(c, 2, 2).errno, EINVAL);
  });
  it('a range whose last byte lies inside a mapping that extends beyond it -> EINVAL', () => {
    const { c } = setup(2);
    mapPages(c, [0, 4]);
    expectRefused(c, () => unmap(c, 0, 2).errno, EINVAL);
  });
  it('a range that bisects a later mapping is refused even when it covers earlier ones whole', () => {
    const { c } = setup(2);
    mapPages(c, [0, 2], [4, 4]);
    expectRefused(c, () => unmap(c, 0, 6).errno, EINVAL);
  });
});

describe('UNMAP_DMA type1 v1: the walk from vfio_find_dma_first_node', () => {
  it('a range starting inside a mapping succeeds and removes 0 bytes', () => {
    const { c } = setup(1);
    mapPages(c, [0, 4]);
    expect(unmap(c, 2, 2)).toEqual({ errno: 0, bytes: 0 });
    expect(c.entries).toBe(1);
  });
  it('a range starting inside one mapping stops there, leaving later covered mappings', () => {
    const { c } = setup(1);
    mapPages(c, [0, 4], [4, 2]);
    expect(unmap(c, 2, 8)).toEqual({ errno: 0, bytes: 0 });
    expect(c.entries).toBe(2);
  });
  it("a range covering a mapping's first byte removes the whole mapping, even past the range end", () => {
    const { c, process } = setup(1);
    mapPages(c, [0, 16]);
    expect(unmap(c, 0, 1)).toEqual({ errno: 0, bytes: 16 * P });
    expect([c.entries, process.lockedPages]).toEqual([0, 0]);
    expect(c.checkInvariants()).toEqual([]);
  });
  it('removal continues over mappings in order until one starts past the range end', () => {
    const { c } = setup(1);
    mapPages(c, [0, 2], [2, 8], [10, 4], [20, 1]);
    expect(unmap(c, 0, 11)).toEqual({ errno: 0, bytes: 14 * P });
    expect(c.entries).toBe(1);
  });
});

describe.each([1, 2] as const)('VFIO_DMA_UNMAP_FLAG_VADDR / VFIO_DMA_MAP_FLAG_VADDR (type1 v%i)', (version) => {
  it('invalidating vaddrs keeps the mappings and pins and returns their bytes', () => {
    const { c, process } = setup(version);
    mapPages(c, [0, 4], [4, 2]);
    expect(unmap(c, 0, 6, VFIO_DMA_UNMAP_FLAG_VADDR)).toEqual({ errno: 0, bytes: 6 * P });
    expect([c.entries, process.lockedPages]).toEqual([2, 6]);
    expect(c.checkInvariants()).toEqual([]);
  });
  it('invalidating a vaddr already invalid undoes the marks of this call -> EINVAL', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4], [4, 2]);
    expect(unmap(c, 4, 2, VFIO_DMA_UNMAP_FLAG_VADDR).errno).toBe(0);
    expectRefused(c, () => unmap(c, 0, 6, VFIO_DMA_UNMAP_FLAG_VADDR).errno, EINVAL);
  });
  it('MAP with FLAG_VADDR: no mapping -> ENOENT; still valid or not the exact range -> EINVAL; else the new vaddr', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4]);
    const NEW_VADDR = VADDR + 0x1_0000_0000;
    expectRefused(c, () => c.mapDma(BASE + 8 * P, NEW_VADDR, P, VFIO_DMA_MAP_FLAG_VADDR), ENOENT);
    expectRefused(c, () => c.mapDma(BASE, NEW_VADDR, 4 * P, VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
    expect(unmap(c, 0, 4, VFIO_DMA_UNMAP_FLAG_VADDR).errno).toBe(0);
    expectRefused(c, () => c.mapDma(BASE, NEW_VADDR, 2 * P, VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
    expect(c.mapDma(BASE, NEW_VADDR, 4 * P, VFIO_DMA_MAP_FLAG_VADDR)).toBe(0);
    expect(c.checkInvariants()).toEqual([]);
    expect(unmap(c, 0, 4, VFIO_DMA_UNMAP_FLAG_VADDR).errno).toBe(0);
  });
  it('a mapping with an invalid vaddr still unmaps normally', () => {
    const { c, process } = setup(version);
    mapPages(c, [0, 4]);
    expect(unmap(c, 0, 4, VFIO_DMA_UNMAP_FLAG_VADDR).errno).toBe(0);
    expect(unmap(c, 0, 4)).toEqual({ errno: 0, bytes: 4 * P });
    expect(process.lockedPages).toBe(0);
    expect(c.checkInvariants()).toEqual([]);
  });
  it('FLAG_ALL with FLAG_VADDR invalidates every vaddr', () => {
    const { c } = setup(version);
    mapPages(c, [0, 4], [8, 1]);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)).toBe(0);
    expect([c.lastUnmappedBytes, c.entries]).toEqual([5 * P, 2]);
  });
});
