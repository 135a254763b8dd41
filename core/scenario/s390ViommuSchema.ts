// Scenario options of the s390 zPCI vIOMMU (vms[].viommu.s390): what QEMU reports to the guest
// and how the guest kernel reacts.
// Must not: hold options of other vIOMMUs.

import { z } from 'zod';
import { u64 } from './numbers';

/** ZPCI_TABLE_SIZE_RT: the span a zPCI region table translates (drivers/iommu/s390-iommu.c). */
const ZPCI_TABLE_SPAN = 2 ** 42;

export const S390ViommuSchema = z.strictObject({
  startDma: u64
    .refine(
      (v) => v <= ZPCI_TABLE_SPAN - 4096,
      'must be below 2^42 - 4 KiB: s390_iommu_probe_device refuses a function whose window starts past the table span',
    )
    .default(0x1_0000_0000)
    .meta({
      description:
        "Start of the guest DMA window (sdma) QEMU reports in CLP Query PCI Function: the host function's start_dma from the VFIO zPCI base capability, else QEMU's default 4 GiB. Linux page-aligns it.",
      mirrors: 'QEMU ZPCI_SDMA_ADDR (include/hw/s390x/s390-pci-bus.h), s390_pci_read_base',
    }),
  apertureRestriction: z.boolean().default(false).meta({
    description:
      "QEMU bounds the guest DMA window by the container's DMA limit: edma = sdma + dma_avail * 4 KiB - 1 (QEMU 8.0 to 9.2, and QEMU >= 10.0 on machine types before s390-ccw-virtio-10.0). QEMU >= 10.0 skips it for functions that may use relaxed translation; ISM functions always get it. Default from host.qemu.version.",
    mirrors: 'QEMU s390_pci_read_base ("shrink DMA aperture to be bound by vfio DMA limit")',
  }),
  apertureRestrictionIsm: z.boolean().default(true).meta({
    description:
      'QEMU bounds the window of ISM functions by the DMA limit (QEMU >= 8.0, which never offers ISM relaxed translation); default from host.qemu.version.',
    mirrors: 'QEMU s390_pci_read_base',
  }),
  countsDmaAvail: z.boolean().default(true).meta({
    description:
      "QEMU reads the container's DMA_AVAIL and maps only while its copy is above 0, answering RPCIT insufficient resources (status 16) otherwise (QEMU >= 5.2 with host Linux >= 5.10, not with the iommufd backend). Off: QEMU maps everything and only logs VFIO's ENOSPC.",
    mirrors: 'QEMU hw/s390x/s390-pci-vfio.c s390_pci_start_dma_count',
  }),
  rpcitSecondPass: z.boolean().default(true).meta({
    description:
      'When maps were skipped for lack of dma_avail and later unmaps of the walk freed slots, QEMU walks the range once more (QEMU >= 7.2). Off: one pass, skipped maps are lost.',
    mirrors: 'QEMU s390-pci-inst.c rpcit_service_call ("RPCIT second pass when mappings exhausted")',
  }),
  coalescedUnmap: z.boolean().default(true).meta({
    description:
      'QEMU unmaps runs of invalid entries in power-of-two aligned chunks, whether cached or not (QEMU >= 8.0). Off: one 4 KiB unmap per cached entry that became invalid.',
    mirrors: 'QEMU s390-pci-inst.c s390_pci_batch_unmap ("coalesce unmap operations")',
  }),
  apertureFactor: z.number().int().min(0).default(1).meta({
    description:
      'Guest IOVA space as a multiple of guest RAM (aperture = min(RAM * factor, 2^42 - start, end - start + 1)); 0 = unlimited.',
    mirrors: 's390_iommu_aperture= (drivers/iommu/s390-iommu.c zpci_init_iommu; arch/s390/pci/pci_dma.c before 6.7)',
  }),
  globalFlushRetry: z.boolean().default(true).meta({
    description:
      'When RPCIT after a map reports insufficient resources (-ENOMEM), the guest issues one global RPCIT over its window, which also establishes the new mapping (Linux >= 6.7; default from the guest kernel version); off shows the failure.',
    mirrors: 'drivers/iommu/s390-iommu.c s390_iommu_iotlb_sync_map',
  }),
  legacyStrict: z.boolean().default(false).meta({
    description:
      'Strict mode of the pre-6.7 s390 DMA code (dmaMode s390-legacy): every unmap issues RPCIT and frees its addresses at once; off = lazy unmap, one global RPCIT per allocator wrap.',
    mirrors: 's390_iommu=strict (arch/s390/pci/pci_dma.c s390_iommu_strict, before 6.7)',
  }),
});
