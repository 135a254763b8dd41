// Scenario options of the s390 zPCI vIOMMU (vms[].viommu.s390): what QEMU reports to the guest
// and how the guest kernel reacts.
// Must not: hold options of other vIOMMUs.

import { z } from 'zod';
import { u64 } from './numbers';

export const S390ViommuSchema = z.strictObject({
  startDma: u64
    .default(0x1_0000_0000)
    .meta({ description: 'Start of the guest DMA window QEMU reports (sdma).', mirrors: 'QEMU ZPCI_SDMA_ADDR (hw/s390x/s390-pci-bus.h)' }),
  apertureRestriction: z.boolean().default(true).meta({
    description: "QEMU bounds the guest DMA window by the host's DMA limit: edma = sdma + dma_avail * 4 KiB - 1 (QEMU >= 7.2).",
    mirrors: 'QEMU s390_pci_read_base ("shrink DMA aperture to be bound by vfio DMA limit")',
  }),
  apertureFactor: z
    .number()
    .int()
    .min(0)
    .default(1)
    .meta({ description: 'Guest IOVA space as a multiple of guest RAM; 0 = unlimited.', mirrors: 's390_iommu_aperture=' }),
  globalFlushRetry: z.boolean().default(true).meta({
    description: 'On RPCIT insufficient resources, the guest issues one global RPCIT and retries (Linux >= 6.7); off shows the failure.',
    mirrors: 'drivers/iommu/s390-iommu.c s390_iommu_iotlb_sync_map',
  }),
});
