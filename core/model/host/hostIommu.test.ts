import { describe, expect, it } from 'vitest';
import { defaultIommuGeometry, HostIommuDomain } from './hostIommu';
import { lowestSetBit } from '../base/bits';
import { resolveCostTable } from '../../sim/costTable';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const domain = () => new HostIommuDomain(defaultIommuGeometry('x86_64'), resolveCostTable());

describe('host IOMMU superpages (iommu_pgsize)', () => {
  it('maps a 1 GiB-aligned run of 1 GiB-backed memory with one PTE', () => {
    expect(domain().ptesFor(GiB, 0, GiB, GiB)).toBe(1);
  });
  it('falls back to 2 MiB pages when the IOVA is only 2 MiB aligned', () => {
    expect(domain().ptesFor(GiB + 2 * MiB, 2 * MiB, GiB, 4 * MiB)).toBe(2);
  });
  it('uses 4 KiB pages for 4 KiB-backed memory whatever the IOVA', () => {
    expect(domain().ptesFor(GiB, 0, 4096, 2 * MiB)).toBe(512);
  });
  it('combines page sizes over a misaligned start when IOVA and memory are congruent', () => {
    // 4 KiB pages up to the next 2 MiB boundary of both addresses, then one 2 MiB page.
    expect(domain().ptesFor(2 * MiB - 8192, 2 * MiB - 8192, GiB, 2 * MiB + 8192)).toBe(2 + 1);
  });
  it('stays at 4 KiB when IOVA and memory are not congruent modulo 2 MiB', () => {
    expect(domain().ptesFor(2 * MiB - 8192, 0, GiB, 2 * MiB + 8192)).toBe(514);
  });
  it('s390 has 4 KiB pages only', () => {
    expect(new HostIommuDomain(defaultIommuGeometry('s390x'), resolveCostTable()).ptesFor(GiB, 0, GiB, 2 * MiB)).toBe(512);
  });
  it('tracks live and peak PTEs', () => {
    const d = domain();
    d.mapRun(0, 0, GiB, GiB);
    d.mapRun(GiB, 0, 4096, 8192);
    d.unmapPtes(2);
    expect([d.livePtes, d.peakPtes, d.mapCalls, d.unmapCalls]).toEqual([1, 3, 2, 1]);
    expect(() => d.unmapPtes(5)).toThrow();
  });
});

describe('lowestSetBit', () => {
  it('is exact across the 64-bit range', () => {
    expect(lowestSetBit(12)).toBe(4);
    expect(lowestSetBit(2 ** 40 + 2 ** 33)).toBe(2 ** 33);
    expect(lowestSetBit(2 ** 59)).toBe(2 ** 59);
    expect(lowestSetBit(2 ** 63 + 2 ** 12)).toBe(2 ** 12);
  });
});
