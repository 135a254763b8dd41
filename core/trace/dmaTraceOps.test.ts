import { describe, expect, it } from 'vitest';
import { parseFtraceText } from './ftraceText';
import { busiestDomain, dmaOpsFromProbes, dmaOpsFromTracepoints, dmaTraceOps, hasAllocatorProbes, type DmaTraceMap } from './dmaTraceOps';

const line = (cpu: number, t: string, ev: string, body: string) => `              dd-98      [00${cpu}] .....     ${t}: ${ev}: ${body}`;
const map = (cpu: number, t: string, iova: number, size: number) =>
  line(
    cpu,
    t,
    'map',
    `IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + size).toString(16).padStart(16, '0')} paddr=0x1000 size=${size}`,
  );
const unmap = (cpu: number, t: string, iova: number, size: number) =>
  line(
    cpu,
    t,
    'unmap',
    `IOMMU: iova=0x${iova.toString(16).padStart(16, '0')} - 0x${(iova + size).toString(16).padStart(16, '0')} size=${size} unmapped_size=${size}`,
  );

describe('DMA operations from iommu:map / iommu:unmap', () => {
  it('joins contiguous maps on one CPU into one DMA map (iommu_map_sg maps run by run)', () => {
    const ops = dmaOpsFromTracepoints(
      parseFtraceText([map(1, '1.0', 0xfff40000, 4096), map(1, '1.1', 0xfff41000, 8192), unmap(1, '1.2', 0xfff40000, 12288)].join('\n')),
    );
    expect(ops.map((o) => o.kind)).toEqual(['map', 'unmap']);
    expect(ops[0]).toMatchObject({ iova: 0xfff40000, sizeBytes: 12288, iommuMaps: 2, unmapped: true });
    expect((ops[1] as { map: DmaTraceMap }).map).toBe(ops[0]);
  });

  it('cuts a run where an unmap shows a boundary (separate dma_map_page calls that happen to be adjacent)', () => {
    const text = [
      map(0, '1.0', 0xffff9000, 4096),
      map(0, '1.1', 0xffffa000, 4096),
      unmap(0, '1.2', 0xffff9000, 4096),
      unmap(0, '1.3', 0xffffa000, 4096),
    ];
    const ops = dmaOpsFromTracepoints(parseFtraceText(text.join('\n')));
    expect(ops.filter((o) => o.kind === 'map').map((o) => [o.iova, o.sizeBytes])).toEqual([
      [0xffff9000, 4096],
      [0xffffa000, 4096],
    ]);
    expect(ops.every((o) => o.kind !== 'unmap' || o.map !== null)).toBe(true);
  });

  it('pairs a reused IOVA with the latest live map before the unmap', () => {
    const text = [map(0, '1.0', 0x1000, 4096), unmap(0, '1.1', 0x1000, 4096), map(0, '1.2', 0x1000, 4096), unmap(0, '1.3', 0x1000, 4096)];
    const ops = dmaOpsFromTracepoints(parseFtraceText(text.join('\n')));
    expect((ops[3] as { map: DmaTraceMap }).map).toBe(ops[2]);
  });
});

describe('DMA operations from the allocator kprobes', () => {
  const text = [
    line(1, '7.240327', 'alloc_iova', '(alloc_iova_fast+0x0/0x280) iovad=0xff01 size=64 limit=0xfffff'),
    line(1, '7.240400', 'alloc_iova_ret', '(iommu_dma_alloc_iova+0xb9/0xe0 <- alloc_iova_fast) pfn=0xfff40'),
    map(1, '7.240452', 0xfff40000, 4096),
    map(1, '7.240458', 0xfff41000, 4096),
    line(0, '7.3', 'alloc_iova', '(alloc_iova_fast+0x0/0x280) iovad=0xff02 size=1 limit=0xfffff'),
    line(0, '7.3', 'alloc_iova_ret', '(x <- alloc_iova_fast) pfn=0x0'),
    line(0, '7.3', 'alloc_iova', '(alloc_iova_fast+0x0/0x280) iovad=0xff02 size=1 limit=0x7ffffff'),
    line(0, '7.3', 'alloc_iova_ret', '(x <- alloc_iova_fast) pfn=0x7fffff'),
    unmap(1, '7.4', 0xfff40000, 262144),
    line(1, '7.4', 'free_iova', '(free_iova_fast+0x0/0x1) iovad=0xff01 pfn=0xfff40 size=64'),
    line(0, '7.5', 'fq_timeout', '(fq_flush_timeout+0x0/0x1)'),
  ].join('\n');

  it('gives each allocation its domain, size, limit and result, and counts the iommu_map calls inside it', () => {
    const events = parseFtraceText(text);
    expect(hasAllocatorProbes(events)).toBe(true);
    const ops = dmaOpsFromProbes(events);
    expect(ops.map((o) => o.kind)).toEqual(['map', 'map', 'unmap', 'free', 'fq-timeout']);
    expect(ops[0]).toMatchObject({
      iova: 0xfff40000,
      sizeBytes: 262144,
      allocPages: 64,
      limitPfn: 0xfffff,
      domain: '0xff01',
      iommuMaps: 2,
      unmapped: true,
      sacFailed: false,
    });
    // A failed first try below 4 GiB, then the full limit.
    expect(ops[1]).toMatchObject({ iova: 0x7fffff000, domain: '0xff02', sacFailed: true });
    expect(ops[3]).toMatchObject({ kind: 'free', pfn: 0xfff40, pages: 64, cpu: 1 });
    expect(busiestDomain(ops)).toBe('0xff01');
    expect(dmaTraceOps(events)).toEqual(ops);
  });

  it("places an allocation an interrupt interrupted after that interrupt's unmap when it returns the unmapped range", () => {
    const alloc = (t: string, pfn: string) => [
      line(0, t, 'alloc_iova', '(alloc_iova_fast+0x4/0x2c0) iovad=0xff01 size=32 limit=0xfffff'),
      line(0, t, 'alloc_iova_ret', `(x <- alloc_iova_fast) pfn=${pfn}`),
    ];
    const [entry, ret] = alloc('2.0', '0xfff60');
    const text = [
      ...alloc('1.0', '0xfff60'),
      entry!,
      unmap(0, '2.1', 0xfff60000, 131072),
      ret!,
      line(0, '2.3', 'alloc_iova', '(x) iovad=0xff01 size=1 limit=0xfffff'),
    ];
    const ops = dmaOpsFromProbes(parseFtraceText(text.join('\n')));
    // The second map follows the unmap it reused; the allocation with no return is left out.
    expect(ops.map((o) => `${o.kind} ${o.kind === 'map' || o.kind === 'unmap' ? o.iova.toString(16) : ''}`)).toEqual([
      'map fff60000',
      'unmap fff60000',
      'map fff60000',
    ]);
  });
  it('infers a flush-queue timer flush whose kprobe missed from its domain-selective invalidation, before the allocation it interrupted', () => {
    const dsi = (cpu: number, t: string) => line(cpu, t, 'qi_submit', 'iotlb_inv dmar0: 0x300e2 0x0 0x0 0x0');
    const text = [
      // A traced timer and its own invalidation: one flush.
      line(1, '1.0', 'fq_timeout', '(fq_flush_timeout+0x0/0xa0)'),
      dsi(1, '1.0001'),
      // Right after an unmap: queue_iova's full-ring flush, which the replay's own ring makes.
      unmap(1, '2.0', 0xfff40000, 262144),
      dsi(1, '2.0001'),
      // Inside an allocation, no fq_timeout hit (kprobe_profile counts a miss): the timer's flush.
      line(1, '3.0', 'alloc_iova', '(alloc_iova_fast+0x0/0x280) iovad=0xff01 size=64 limit=0xfffff'),
      dsi(1, '3.0004'),
      line(1, '3.0007', 'alloc_iova_ret', '(iommu_dma_alloc_iova+0xb9/0xe0 <- alloc_iova_fast) pfn=0xfff40'),
      // A page-selective invalidation is not a flush-queue flush.
      line(0, '4.0', 'qi_submit', 'iotlb_inv dmar0: 0x300f2 0xfff40006 0x0 0x0'),
    ];
    const ops = dmaOpsFromProbes(parseFtraceText(text.join('\n')));
    expect(ops.map((o) => (o.kind === 'fq-timeout' ? `flush${o.inferred === true ? ' inferred' : ''} ${o.tNs}` : o.kind))).toEqual([
      'flush 1000000000',
      'unmap',
      'flush inferred 3000400000',
      'map',
    ]);
    // Without the allocator's timer probe in the trace nothing is inferred.
    const noProbe = dmaOpsFromProbes(parseFtraceText(text.slice(2).join('\n')));
    expect(noProbe.some((o) => o.kind === 'fq-timeout')).toBe(false);
  });
});
