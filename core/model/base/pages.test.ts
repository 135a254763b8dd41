import { describe, expect, it } from 'vitest';
import { PAGE_SHIFT, PAGE_SIZE, alignDown, alignUp, isAligned, pagesSpanned } from './pages';

describe('the 4 KiB page', () => {
  it('is 2^PAGE_SHIFT bytes', () => {
    expect(PAGE_SIZE).toBe(4096);
    expect(2 ** PAGE_SHIFT).toBe(PAGE_SIZE);
  });
});

describe('alignUp / alignDown: exact to 2^64 where bitwise masks stop at 2^32', () => {
  it('round to the power of two below 2^32', () => {
    expect(alignUp(0, PAGE_SIZE)).toBe(0);
    expect(alignUp(1, PAGE_SIZE)).toBe(4096);
    expect(alignUp(4096, PAGE_SIZE)).toBe(4096);
    expect(alignDown(8191, PAGE_SIZE)).toBe(4096);
    expect(alignDown(4095, PAGE_SIZE)).toBe(0);
  });

  it('stay exact above 2^32 and up to 2^53', () => {
    expect(alignUp(2 ** 32 + 1, PAGE_SIZE)).toBe(2 ** 32 + 4096);
    expect(alignDown(2 ** 40 + 5000, PAGE_SIZE)).toBe(2 ** 40 + 4096);
    expect(alignUp(2 ** 53 - 1, PAGE_SIZE)).toBe(2 ** 53);
    expect(alignDown(2 ** 53 - 1, PAGE_SIZE)).toBe(2 ** 53 - 4096);
    expect(alignUp(2 ** 40 + 1, 2 ** 30)).toBe(2 ** 40 + 2 ** 30);
  });

  it('keep page-aligned values up to 2^64 as they are', () => {
    expect(alignUp(2 ** 64 - 4096, PAGE_SIZE)).toBe(2 ** 64 - 4096);
    expect(alignDown(2 ** 63 + 4096, PAGE_SIZE)).toBe(2 ** 63 + 4096);
  });
});

describe('isAligned', () => {
  it('tests the multiple of a power of two, any value is 0- or 1-aligned', () => {
    expect(isAligned(8192, PAGE_SIZE)).toBe(true);
    expect(isAligned(8193, PAGE_SIZE)).toBe(false);
    expect(isAligned(12345, 1)).toBe(true);
    expect(isAligned(12345, 0)).toBe(true);
  });

  it('stays exact above 2^32 and up to 2^64', () => {
    expect(isAligned(2 ** 32 + 4096, PAGE_SIZE)).toBe(true);
    expect(isAligned(2 ** 32 + 2048, PAGE_SIZE)).toBe(false);
    expect(isAligned(2 ** 53 - 4096, 2 ** 12)).toBe(true);
    expect(isAligned(2 ** 53 - 2, PAGE_SIZE)).toBe(false);
    expect(isAligned(2 ** 64 - 2 ** 21, 2 ** 21)).toBe(true);
  });
});

describe('pagesSpanned (iommu_num_pages)', () => {
  it('counts the pages a byte range touches, its offset in the first page included', () => {
    expect(pagesSpanned(0, 4096)).toBe(1);
    expect(pagesSpanned(1, 4096)).toBe(2);
    expect(pagesSpanned(4095, 2)).toBe(2);
    expect(pagesSpanned(0, 1)).toBe(1);
    expect(pagesSpanned(8192, 0)).toBe(0);
  });

  it('takes another page size and stays exact above 2^32 and up to 2^53', () => {
    expect(pagesSpanned(2 ** 32 + 4095, 2)).toBe(2);
    expect(pagesSpanned(2 ** 53 - 4096, 4096)).toBe(1);
    expect(pagesSpanned(2 ** 40 + 100, 2 ** 21, 2 ** 16)).toBe(33);
  });
});
