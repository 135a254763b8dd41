// The early-stopping mapping walks of virtio-iommu (the guest's viommu_del_mappings, QEMU's
// virtio_iommu_unmap) against the one-lookup-per-step walks they replaced
// (virtioMappingsReference.testkit.ts): random disjoint mappings, then random removals of ranges
// (aligned on a mapping or not, inside one, across several, below the first), on two copies of the
// same tree; every answer, the mappings taken (the same objects, in the same order) and the trees
// left behind must be equal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalMap } from '../base/intervalMap';
import type { VirtioMapping } from './qemuVirtioIommu';
import { viommuDelMappings } from './virtioIommuGuest';
import { virtioIommuTakeRange } from './qemuVirtioIommu';
import {
  alignedPow2ChunkReference,
  pgsizeRunBytesReference,
  viommuDelMappingsReference,
  virtioIommuTakeRangeReference,
} from './virtioMappingsReference.testkit';
import { alignedPow2Chunk } from './qemuVirtioIommu';
import { pgsizeRunBytes } from './virtioIommuGuest';

const PAGE = 4096;

/** Disjoint mappings from (gap, length) pairs in pages, laid out from `base`. */
function build(base: number, layout: readonly [number, number][]): VirtioMapping[] {
  const out: VirtioMapping[] = [];
  let at = base;
  for (const [gap, len] of layout) {
    at += gap * PAGE;
    out.push({ start: at, last: at + len * PAGE - 1, gpa: at + 0x1000_0000, flags: 3 });
    at += len * PAGE;
  }
  return out;
}

function twoTrees(ms: readonly VirtioMapping[]): [IntervalMap<VirtioMapping>, IntervalMap<VirtioMapping>] {
  const a = new IntervalMap<VirtioMapping>();
  const b = new IntervalMap<VirtioMapping>();
  for (const m of ms) {
    a.insert(m);
    b.insert(m);
  }
  return [a, b];
}

const layoutArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 8 })), { maxLength: 60 });
/** A range as (first page, pages) relative to the base; -2 reaches below the first mapping. */
const rangesArb = fc.array(fc.tuple(fc.integer({ min: -2, max: 400 }), fc.integer({ min: 1, max: 24 })), { minLength: 1, maxLength: 40 });
/** Below 4 GiB (dma-iommu's first choice), around it, and high in a 48-bit input range. */
const baseArb = fc.constantFrom(0x10_0000, 0xffff_0000, 2 ** 40, 2 ** 47 - 2 ** 30);

describe('virtio-iommu mapping walks against the one-lookup-per-step walks', () => {
  it('viommu_del_mappings: same bytes, same count, same tree', () => {
    fc.assert(
      fc.property(baseArb, layoutArb, rangesArb, (base, layout, ranges) => {
        const [fast, slow] = twoTrees(build(base, layout));
        const out = { dropped: -1 };
        for (const [page, pages] of ranges) {
          const start = base + page * PAGE;
          const last = start + pages * PAGE - 1;
          const want = viommuDelMappingsReference(slow, start, last);
          expect(viommuDelMappings(fast, start, last, out)).toBe(want.unmapped);
          expect(out.dropped).toBe(want.dropped);
          expect([...fast.values()]).toEqual([...slow.values()]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('virtio_iommu_unmap: same status, same mappings taken in the same order, same tree', () => {
    fc.assert(
      fc.property(baseArb, layoutArb, rangesArb, (base, layout, ranges) => {
        const [fast, slow] = twoTrees(build(base, layout));
        for (const [page, pages] of ranges) {
          const start = base + page * PAGE;
          const end = start + pages * PAGE - 1;
          const got: VirtioMapping[] = [];
          const want: VirtioMapping[] = [];
          const sink = { taken: (m: VirtioMapping) => got.push(m) };
          expect(virtioIommuTakeRange(fast, start, end, sink)).toBe(virtioIommuTakeRangeReference(slow, start, end, want));
          expect(got.length).toBe(want.length);
          for (let i = 0; i < got.length; i++) expect(got[i]).toBe(want[i]);
          expect([...fast.values()]).toEqual([...slow.values()]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** An address: page multiples anywhere below 2^64 (double-spaced above 2^53), or any small integer. */
const addrArb = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 40 }).map((p) => p * PAGE),
  fc.integer({ min: 0, max: 2 ** 20 }).chain((p) => fc.integer({ min: 0, max: 52 }).map((s) => p * 2 ** s)),
  fc
    .bigInt({ min: 0n, max: 2n ** 64n - 1n })
    .map((b) => Number(b))
    .filter((x) => x < 2 ** 64),
  fc.nat(),
);
/** A size: pages, a power of two or a run of them either side of 2^31, or any positive integer. */
const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 20 }).map((p) => p * PAGE),
  fc.integer({ min: 0, max: 63 }).map((s) => 2 ** s),
  fc.integer({ min: 2 ** 31 - 2 ** 16, max: 2 ** 31 + 2 ** 16 }),
  fc.integer({ min: 1, max: 2 ** 53 }),
);

describe('virtio-iommu page-size arithmetic on 32-bit words against the double version', () => {
  it('iommu_pgsize: same run for every address pair and size', () => {
    fc.assert(
      fc.property(addrArb, addrArb, sizeArb, (iova, paddr, size) => {
        expect(pgsizeRunBytes(iova, paddr, size)).toBe(pgsizeRunBytesReference(iova, paddr, size));
        expect(pgsizeRunBytes(iova, iova, size)).toBe(pgsizeRunBytesReference(iova, iova, size));
      }),
      { numRuns: 5000 },
    );
  });

  it('dma_aligned_pow2_mask: same chunk for every start and length', () => {
    fc.assert(
      fc.property(addrArb, sizeArb, (start, len) => {
        const end = start + len - 1;
        fc.pre(end >= start && end < 2 ** 64);
        expect(alignedPow2Chunk(start, end)).toBe(alignedPow2ChunkReference(start, end));
      }),
      { numRuns: 5000 },
    );
  });
});
