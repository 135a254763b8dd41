// The 4 KiB base page every modelled host and guest kernel uses (x86-64, s390x and the lab's
// accounting unit on ppc64), and alignment to a power of two on JS numbers. Dividing and
// multiplying by a power of two is exact in a double, so these stay exact for every integer below
// 2^64 that a double holds (every page-aligned address is one), where bitwise operators would
// truncate at 2^32.
// Must not: name a domain's own page size (ZPCI_PAGE_SIZE, SPAPR_TCE_PAGE_SHIFT, a host's
// hugepage size); those stay with their domain and are defined in terms of these where the kernel
// does.

/** PAGE_SHIFT of the modelled kernels: 4 KiB pages. */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 2 ** PAGE_SHIFT;

/** ALIGN(x, align) for a power-of-two `align`: the first multiple of `align` at or above x. */
export function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

/** ALIGN_DOWN(x, align) for a power-of-two `align`: the last multiple of `align` at or below x. */
export function alignDown(x: number, align: number): number {
  return Math.floor(x / align) * align;
}

/** IS_ALIGNED(x, align) for a power-of-two `align` (x & (align - 1) == 0); any x is 0- or 1-aligned. */
export function isAligned(x: number, align: number): boolean {
  return align <= 1 || x % align === 0;
}

/** iommu_num_pages: pages of `pageSize` bytes that [addr, addr + bytes) touches. */
export function pagesSpanned(addr: number, bytes: number, pageSize: number = PAGE_SIZE): number {
  return Math.ceil(((addr % pageSize) + bytes) / pageSize);
}
