import { describe, it, expect } from 'vitest';
import { PTES_PER_SEGMENT, SEGMENTS_PER_REGION, ZpciDmaTable } from './s390ZpciDmaTable';

const GiB = 2 ** 30;
const PAGE = 4096;
const START_PAGE = (4 * GiB) / PAGE;

describe('zPCI DMA table: page tables are allocated on first use and never freed', () => {
  it('validating entries populates their segment and region and counts them', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE + 250, 0x10000, 10, false);
    expect(t.populatedSegments).toEqual([START_PAGE / 256, START_PAGE / 256 + 1]);
    expect(t.populatedRegions).toEqual([2]);
    expect(t.validEntries).toBe(10);
    expect(t.isValid(START_PAGE + 259)).toBe(true);
    expect(t.gpaOf(START_PAGE + 259)).toBe(0x10000 + 9 * PAGE);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('invalidating entries keeps the page tables (populated segments only grow)', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE, 0, 4, true);
    expect(t.invalidate(START_PAGE, 4)).toBe(4);
    expect(t.validEntries).toBe(0);
    expect(t.populatedSegments).toHaveLength(1);
    expect(t.validPeak).toBe(4);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('a read-only mapping sets the protected bit; a writable remap clears it', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE, 0, 1, true);
    expect(t.pageTable(START_PAGE / 256)!.prot[0]).toBe(1);
    t.invalidate(START_PAGE, 1);
    t.validate(START_PAGE, 0, 1, false);
    expect(t.pageTable(START_PAGE / 256)!.prot[0]).toBe(0);
  });

  it('a walk reads one entry per page of a populated segment, one per empty segment, one per empty region', () => {
    const t = new ZpciDmaTable();
    t.validate(START_PAGE, 0, 1, false);
    // [seg0, seg0 + 3): one populated segment of 256 entries, two empty segments of a populated region.
    expect(t.walkVisits(START_PAGE, START_PAGE + 3 * PTES_PER_SEGMENT)).toBe(256 + 2);
    // A whole second region (2 GiB) with nothing in it is a single entry.
    const regionPages = SEGMENTS_PER_REGION * PTES_PER_SEGMENT;
    expect(t.walkVisits(START_PAGE + regionPages, START_PAGE + 2 * regionPages)).toBe(1);
    // The 8 GiB window: 256 + 2047 empty segments in region 2, and 3 empty regions.
    expect(t.walkVisits(START_PAGE, START_PAGE + 4 * regionPages)).toBe(256 + 2047 + 3);
    // A partial range counts only its own pages.
    expect(t.walkVisits(START_PAGE + 10, START_PAGE + 20)).toBe(10);
  });
});
