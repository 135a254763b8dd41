import { describe, expect, it } from 'vitest';
import { parseFtraceText } from './ftraceText';
import { parseQemuTraceLog } from './qemuTraceLog';
import { traceWorkload } from './traceWorkload';

const l = (cpu: number, t: string, ev: string, body: string) => `   dd-98   [00${cpu}] ..... ${t}: ${ev}: ${body}`;

describe('a trace as a dma-trace workload', () => {
  it('turns iommu:map / unmap into ops with ids, times from the first event, and other events into marks', () => {
    const text = [
      l(0, '1.000000', 'tracing_mark_write', 'pcilab: dd begin'),
      l(1, '1.000010', 'map', 'IOMMU: iova=0x00000000fff40000 - 0x00000000fff41000 paddr=0x1000 size=4096'),
      l(1, '1.000020', 'map', 'IOMMU: iova=0x00000000fff41000 - 0x00000000fff42000 paddr=0x9000 size=4096'),
      l(1, '1.000100', 'unmap', 'IOMMU: iova=0x00000000fff40000 - 0x00000000fff42000 size=8192 unmapped_size=8192'),
      l(1, '1.000110', 'qi_submit', 'iotlb_inv dmar0: 0x500f2 0xfff40001 0x0 0x0'),
      l(0, '1.000200', 'unmap', 'IOMMU: iova=0x0000000000001000 - 0x0000000000002000 size=4096 unmapped_size=4096'),
    ].join('\n');
    const qemu = parseQemuTraceLog('vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xfff40000 mask 0x1\n');
    const { workload, stats } = traceWorkload(parseFtraceText(text), qemu, 'x.trace');
    expect(workload.ops).toEqual([
      [10_000, 1, 0, 8192, 0],
      [100_000, 1, 1, 8192, 0],
    ]);
    expect(stats).toMatchObject({ source: 'iommu tracepoints', maps: 1, unmaps: 1, orphanUnmaps: 1, qemuEvents: 1 });
    expect(workload.markNames).toEqual(['cpu0 marker: pcilab: dd begin', 'cpu1 qi_submit iotlb-page', 'qemu vtd_inv_desc_iotlb_pages']);
    expect(workload.marks).toEqual([
      [0, 0, 0],
      [0, 2, 0xfff40000],
      [110_000, 1, 1],
    ]);
  });

  it('falls back to dma:* events where dma-iommu is not underneath (pseries)', () => {
    const text = [
      l(0, '2.0', 'dma_map_page', '0000:00:02.0 dir=TO_DEVICE dma_addr=c000000 size=16 phys_addr=5240 attrs='),
      l(1, '2.5', 'dma_unmap_page', '0000:00:02.0 dir=TO_DEVICE dma_addr=c000000 size=16 attrs='),
    ].join('\n');
    const { workload, stats } = traceWorkload(parseFtraceText(text), [], 'p');
    expect(stats.source).toBe('dma tracepoints');
    expect(workload.ops).toEqual([
      [0, 0, 0, 16, 0],
      [500_000_000, 1, 1, 16, 0],
    ]);
  });
});
