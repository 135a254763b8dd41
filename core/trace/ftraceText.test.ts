import { describe, expect, it } from 'vitest';
import { dmaApiFields, iommuMapFields, iommuUnmapFields, markerText, parseFtraceLine, parseFtraceText, qiSubmitFields } from './ftraceText';

// Lines as a real 6.1 / 6.12 guest wrote them (tooling/oracle captures).
const TRACE = `# tracer: nop
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
            init-1       [000] .....     7.156789: tracing_mark_write: pcilab: dd begin
              dd-103     [001] .....     7.240452: map: IOMMU: iova=0x00000000fff40000 - 0x00000000fff41000 paddr=0x0000000006de4000 size=4096
          <idle>-0       [001] d.h1.     7.091338: unmap: IOMMU: iova=0x00000000fff40000 - 0x00000000fff80000 size=262144 unmapped_size=262144\r
              dd-98      [001] d..1.     7.088556: qi_submit: iotlb_inv dmar0: 0x500f2 0xfff40006 0x0 0x0
              dd-153     [001] d.s3.     9.399890: qi_submit: iotlb_inv dmar0: 0x500e2 0x0 0x0 0x0
              dd-153     [001] .....     9.373900: dma_map_sg: 0000:00:03.0 dir=FROM_DEVICE nents=2/2 ents=1/1 dma_addrs={0xfff80000} sizes={0x20000} phys_addrs={0x6cd0000,0x6afb000} attrs=NO_WARN
        modprobe-161     [000] d....     9.048143: dma_map_page: 0001:00:00.0 dir=TO_DEVICE dma_addr=11fffb0f8 size=16 phys_addr=52400f8 attrs=
`;

describe('ftrace text', () => {
  it('reads task, pid, CPU, time in ns, event and body; skips comments', () => {
    const evs = parseFtraceText(TRACE);
    expect(evs).toHaveLength(7);
    expect(evs[0]).toMatchObject({ task: 'init', pid: 1, cpu: 0, tNs: 7_156_789_000, event: 'tracing_mark_write', line: 4 });
    expect(markerText(evs[0]!)).toBe('pcilab: dd begin');
    expect(evs[2]!.task).toBe('<idle>');
  });

  it('decodes iommu:map and iommu:unmap (a CR at the line end is ignored)', () => {
    const [, map, unmap] = parseFtraceText(TRACE);
    expect(iommuMapFields(map!)).toEqual({ iova: 0xfff40000, paddr: 0x6de4000, sizeBytes: 4096 });
    expect(iommuUnmapFields(unmap!)).toEqual({ iova: 0xfff40000, sizeBytes: 262144, unmappedBytes: 262144 });
    expect(iommuMapFields(unmap!)).toBeNull();
  });

  it('decodes qi_submit: page-selective with address and mask, domain-selective', () => {
    const evs = parseFtraceText(TRACE);
    expect(qiSubmitFields(evs[3]!)).toMatchObject({ kind: 'iotlb-page', addr: 0xfff40000, mask: 6, domainId: 5 });
    expect(qiSubmitFields(evs[4]!)).toMatchObject({ kind: 'iotlb-domain', domainId: 5 });
  });

  it('decodes dma:* events with their device, addresses and sizes', () => {
    const evs = parseFtraceText(TRACE);
    expect(dmaApiFields(evs[5]!)).toEqual({
      device: '0000:00:03.0',
      dir: 'FROM_DEVICE',
      dmaAddrs: [0xfff80000],
      sizes: [0x20000],
      physSegments: 2,
    });
    expect(dmaApiFields(evs[6]!)).toMatchObject({ device: '0001:00:00.0', dmaAddrs: [0x11fffb0f8], sizes: [16] });
  });

  it('reads trace-cmd report lines (no flags column, a tgid column, nanosecond times)', () => {
    expect(parseFtraceLine('      dd-98    [001]  7.087903123: map:   IOMMU: iova=0x1000 - 0x2000 paddr=0x5000 size=4096')).toMatchObject({
      cpu: 1,
      tNs: 7_087_903_123,
      event: 'map',
    });
    expect(
      parseFtraceLine('      dd-98  (   98) [001] ..... 7.5: unmap: IOMMU: iova=0x1000 - 0x2000 size=4096 unmapped_size=4096'),
    ).toMatchObject({
      tNs: 7_500_000_000,
      event: 'unmap',
    });
    expect(parseFtraceLine('not a trace line')).toBeNull();
  });
});
