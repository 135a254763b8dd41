import { describe, expect, it } from 'vitest';
import { parseQemuTraceLine, parseQemuTraceLog } from './qemuTraceLog';

describe('QEMU -trace log', () => {
  it('decodes intel-iommu invalidation descriptors', () => {
    expect(parseQemuTraceLine('vtd_inv_desc_iotlb_pages iotlb invalidate domain 0x5 addr 0xfff40000 mask 0x6')).toMatchObject({
      kind: 'vtd-iotlb-page',
      hostNs: null,
      args: { domain: 5, addr: 0xfff40000, mask: 6 },
    });
    expect(parseQemuTraceLine('vtd_inv_desc_iotlb_domain iotlb invalidate whole domain 0x5')!.kind).toBe('vtd-iotlb-domain');
  });

  it('reads the -msg timestamp=on prefix', () => {
    expect(
      parseQemuTraceLine(
        '4242@1700000000.000123:virtio_iommu_map domain=0 virt_start=0xfffff000 virt_end=0xffffffff phys_start=0x41b8000 flags=3',
      ),
    ).toMatchObject({
      kind: 'viommu-map',
      hostNs: 1_700_000_000_000_123_000,
      args: { start: 0xfffff000, end: 0xffffffff },
    });
  });

  it('decodes sPAPR TCE hypercalls and block requests', () => {
    expect(parseQemuTraceLine('spapr_iommu_pci_stuff liobn=0x80000000 ioba=0x1000 tcevalue=0x0 npages=512 ret=0')).toMatchObject({
      kind: 'tce-stuff',
      args: { liobn: 0x80000000, npages: 512 },
    });
    expect(parseQemuTraceLine('pci_nvme_read cid 832 nsid 1 nlb 8 count 4096 lba 0x0')).toMatchObject({
      kind: 'io',
      args: { count: 4096, lba: 0 },
    });
    expect(parseQemuTraceLine('virtio_blk_handle_read vdev 0x55 req 0x56 sector 0 nsectors 512')).toMatchObject({
      kind: 'io',
      args: { count: 262144 },
    });
  });

  it('skips lines that are not trace events', () => {
    const evs = parseQemuTraceLog('qemu-system-x86_64: warning: something\nvtd_inv_desc_iotlb_global iotlb invalidate global\n\n');
    expect(evs.map((e) => e.kind)).toEqual(['vtd-iotlb-global']);
  });
});
