import { describe, it, expect } from 'vitest';
import { S390DmaWindow, ZPCI_EDMA_ADDR, ZPCI_SDMA_ADDR, ZPCI_TABLE_SPAN } from './s390DmaWindow';
import { S390ViommuSchema } from '../../scenario/s390ViommuSchema';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function window(o: Partial<ConstructorParameters<typeof S390DmaWindow>[0]> = {}): S390DmaWindow {
  return new S390DmaWindow({
    sdma: ZPCI_SDMA_ADDR,
    restrictToDmaLimit: false,
    maxDmaLimit: 65535,
    ramBytes: 8 * GiB,
    apertureFactor: 1,
    ...o,
  });
}

describe('zpci_init_iommu: the guest window is [start_dma, start_dma + min3(RAM x factor, 2^42 - start, edma - start + 1) - 1]', () => {
  it('by default QEMU reports sdma 4 GiB and the window is as large as guest RAM', () => {
    const w = window();
    expect(w.sdma).toBe(4 * GiB);
    expect(w.edma).toBe(ZPCI_EDMA_ADDR);
    expect(w.startDma).toBe(4 * GiB);
    expect(w.endDma).toBe(12 * GiB - 1);
    expect(w.sizeBytes).toBe(8 * GiB);
    expect(w.restricted).toBe(false);
  });

  it('s390_iommu_aperture=2 doubles the window; 0 leaves only the 2^42 table span as the limit', () => {
    expect(window({ apertureFactor: 2 }).sizeBytes).toBe(16 * GiB);
    const unlimited = window({ apertureFactor: 0 });
    expect(unlimited.endDma).toBe(ZPCI_TABLE_SPAN - 1);
    expect(unlimited.sizeBytes).toBe(ZPCI_TABLE_SPAN - 4 * GiB);
  });

  it('start_dma = PAGE_ALIGN(sdma): an unaligned sdma rounds up to the next 4 KiB', () => {
    const w = window({ sdma: 4 * GiB + 0x800 });
    expect(w.startDma).toBe(4 * GiB + 0x1000);
    expect(w.sizeBytes).toBe(8 * GiB);
  });

  it('a window near the top of the span is cut at 2^42', () => {
    const w = window({ sdma: ZPCI_TABLE_SPAN - 2 * GiB });
    expect(w.endDma).toBe(ZPCI_TABLE_SPAN - 1);
    expect(w.sizeBytes).toBe(2 * GiB);
  });

  it('a start at or past 2^42 - 4 KiB is unusable (s390_iommu_probe_device -EINVAL) and the schema refuses it', () => {
    expect(() => window({ sdma: ZPCI_TABLE_SPAN })).toThrow(RangeError);
    expect(S390ViommuSchema.safeParse({ startDma: ZPCI_TABLE_SPAN }).success).toBe(false);
    expect(S390ViommuSchema.safeParse({ startDma: '0x3fffffff000' }).success).toBe(true);
  });
});

describe('s390_pci_read_base: QEMU shrinks edma to sdma + max_dma_limit * 4 KiB - 1 when restricted', () => {
  it('with the default limit 65535 the window becomes 65535 pages (about 256 MiB) above 4 GiB', () => {
    const w = window({ restrictToDmaLimit: true });
    expect(w.restricted).toBe(true);
    expect(w.edma).toBe(4 * GiB + 65535 * 4096 - 1);
    expect(w.pages).toBe(65535);
    expect(w.sizeBytes).toBe(256 * MiB - 4096);
  });

  it('the window is still bounded by guest RAM when RAM is smaller than the DMA limit', () => {
    const w = window({ restrictToDmaLimit: true, ramBytes: 128 * MiB });
    expect(w.restricted).toBe(true);
    expect(w.sizeBytes).toBe(128 * MiB);
  });

  it('no shrink without a limit (max_dma_limit 0: a second function on the same container) or when unrestricted', () => {
    expect(window({ restrictToDmaLimit: true, maxDmaLimit: 0 }).restricted).toBe(false);
    expect(window({ restrictToDmaLimit: false }).sizeBytes).toBe(8 * GiB);
  });

  it('no shrink when the limit covers the whole reported range', () => {
    const w = window({ restrictToDmaLimit: true, edma: 4 * GiB + 16 * MiB - 1, maxDmaLimit: 8192 });
    expect(w.restricted).toBe(false);
    expect(w.sizeBytes).toBe(16 * MiB);
  });
});

describe('s390_iommu_get_resv_regions: everything of the span outside the window is reserved', () => {
  it('reserves [0, start_dma) and (end_dma, 2^42 - 1]', () => {
    expect(window().reservedRanges()).toEqual([
      { start: 0, last: 4 * GiB - 1 },
      { start: 12 * GiB, last: ZPCI_TABLE_SPAN - 1 },
    ]);
  });

  it('a window from 0 to the top of the span reserves nothing', () => {
    expect(window({ sdma: 0, apertureFactor: 0 }).reservedRanges()).toEqual([]);
  });

  it('contains() accepts ranges inside the window only', () => {
    const w = window();
    expect(w.contains(4 * GiB, 4096)).toBe(true);
    expect(w.contains(4 * GiB - 4096, 8192)).toBe(false);
    expect(w.contains(12 * GiB - 4096, 4096)).toBe(true);
    expect(w.contains(12 * GiB - 4096, 8192)).toBe(false);
  });
});

describe('scenario options of vms[].viommu.s390', () => {
  it('schema defaults are those of the default releases (QEMU 10.0 with relaxed translation, Linux 6.12): sdma 4 GiB, no restriction but for ISM, factor 1, counting, second pass, coalesced unmaps, global-flush retry on, legacy lazy', () => {
    expect(S390ViommuSchema.parse({})).toEqual({
      startDma: 4 * GiB,
      apertureRestriction: false,
      apertureRestrictionIsm: true,
      countsDmaAvail: true,
      rpcitSecondPass: true,
      coalescedUnmap: true,
      apertureFactor: 1,
      globalFlushRetry: true,
      legacyStrict: false,
    });
  });
});
