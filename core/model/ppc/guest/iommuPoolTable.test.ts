import { describe, expect, it } from 'vitest';
import { IommuPoolTable, iommuPoolHash } from './iommuPoolTable';

// arch/powerpc/kernel/iommu.c: iommu_init_table's pools and iommu_range_alloc's search.

const GiB = 2 ** 30;
const SEG = 2 ** 20; // 4 GiB of 4 KiB TCEs
const MASK64 = 2 ** 52 - 1;

function defaultWindow(): IommuPoolTable {
  return new IommuPoolTable(0x8000_0000, 0, GiB / 4096, 12, SEG);
}

describe('iommu_init_table', () => {
  it('a window of 1 GiB or more gets 4 pools over the bottom three quarters and a large pool on the top quarter', () => {
    const t = defaultWindow();
    expect(t.nrPools).toBe(4);
    expect(t.poolSize).toBe(49152);
    expect(t.pools.map((p) => p.start)).toEqual([0, 49152, 98304, 147456]);
    expect(t.largePool.start).toBe(196608);
    expect(t.largePool.end).toBe(262144);
  });

  it('a smaller window gets one pool and the large pool', () => {
    const t = new IommuPoolTable(1, 0, (256 * 1024 * 1024) / 4096, 12, SEG);
    expect(t.nrPools).toBe(1);
    expect(t.poolSize).toBe(49152);
  });

  it('entry 0 is reserved when the window starts at bus address 0', () => {
    const t = defaultWindow();
    expect(t.alloc(0, 1, MASK64, 0)).toBe(1);
    const high = new IommuPoolTable(2, 2 ** 47, GiB / 4096, 12, SEG);
    expect(high.alloc(0, 1, MASK64, 0)).toBe(0);
  });
});

describe('iommu_range_alloc', () => {
  it('a CPU starts in the pool of hash_32(cpu, 2)', () => {
    expect([0, 1, 2, 3].map(iommuPoolHash)).toEqual([0, 1, 3, 0]);
    const t = defaultWindow();
    expect(t.alloc(1, 1, MASK64, 0)).toBe(49152);
    expect(t.alloc(2, 1, MASK64, 0)).toBe(3 * 49152);
  });

  it('small allocations move the hint to the next 16-entry block (next fit)', () => {
    const t = defaultWindow();
    expect(t.alloc(0, 1, MASK64, 0)).toBe(1);
    expect(t.alloc(0, 1, MASK64, 0)).toBe(16);
    expect(t.alloc(0, 3, MASK64, 0)).toBe(32);
  });

  it('more than 15 TCEs come from the large pool, whose hint moves to the end of the allocation', () => {
    const t = defaultWindow();
    expect(t.alloc(0, 16, MASK64, 0)).toBe(196608);
    expect(t.alloc(0, 16, MASK64, 0)).toBe(196608 + 16);
  });

  it('allocations are aligned to 2^align in bitmap space', () => {
    const t = defaultWindow();
    t.alloc(0, 1, MASK64, 0);
    expect(t.alloc(0, 16, MASK64, 4) % 16).toBe(0);
  });

  it('the last entry below a pool limit is never used (iommu_area_alloc: size - 1); a full pool falls back to the large pool', () => {
    // 64 entries, one pool [0, 48) and the large pool [48, 64); not at bus address 0, so entry 0 is usable.
    const t = new IommuPoolTable(1, 2 ** 20, 64, 12, SEG);
    expect(t.nrPools).toBe(1);
    expect([t.alloc(0, 15, MASK64, 0), t.alloc(0, 15, MASK64, 0), t.alloc(0, 15, MASK64, 0)]).toEqual([0, 16, 32]);
    // The gaps at 15 and 31 are filled next fit; 47, the pool's last entry, is never handed out.
    expect([t.alloc(0, 1, MASK64, 0), t.alloc(0, 1, MASK64, 0), t.alloc(0, 1, MASK64, 0)]).toEqual([15, 31, 48]);
    expect(t.alloc(0, 14, MASK64, 0)).toBe(49);
    expect(t.alloc(0, 1, MASK64, 0)).toBe(-1);
    expect(t.anyAllocated(47, 1)).toBe(false);
    expect(t.anyAllocated(63, 1)).toBe(false);
  });

  it('a full pool moves on to the other pools, then the large pool, then fails', () => {
    const t = new IommuPoolTable(1, 2 ** 20, 64, 12, SEG);
    const got: number[] = [];
    for (let i = 0; i < 12; i++) got.push(t.alloc(0, 8, MASK64, 0));
    expect(got.some((x) => x >= 48)).toBe(true);
    expect(got).toContain(-1);
    expect(t.allocatedTces).toBeLessThanOrEqual(62);
    expect(t.poolFallbacks).toBeGreaterThan(0);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('a DMA mask below the window end limits the search: a 32-bit device gets entries below 4 GiB or none', () => {
    const mask32 = 2 ** 20 - 1;
    const straddling = new IommuPoolTable(1, (3.5 * GiB) / 4096, GiB / 4096, 12, SEG);
    const n = straddling.alloc(3, 1, mask32, 0);
    expect(n).toBeGreaterThanOrEqual(0);
    expect(straddling.offset + n).toBeLessThanOrEqual(mask32);
    const above = new IommuPoolTable(1, (5 * GiB) / 4096, GiB / 4096, 12, SEG);
    expect(above.alloc(0, 1, mask32, 0)).toBe(-1);
  });

  it('an allocation never crosses the device segment boundary (4 GiB for PCI)', () => {
    const t = new IommuPoolTable(1, SEG - 8, 1024, 12, SEG);
    const n = t.alloc(0, 32, MASK64, 0);
    expect(Math.floor((t.offset + n) / SEG)).toBe(Math.floor((t.offset + n + 31) / SEG));
  });

  it('frees give entries back without moving hints; a double free throws (programmer error)', () => {
    const t = defaultWindow();
    const a = t.alloc(0, 4, MASK64, 0);
    expect(t.allocatedTces).toBe(4);
    t.free(a, 4);
    expect(t.allocatedTces).toBe(0);
    expect(t.inUse()).toBe(false);
    expect(() => t.free(a, 4)).toThrow();
    expect(t.alloc(0, 1, MASK64, 0)).toBe(16);
  });
});
