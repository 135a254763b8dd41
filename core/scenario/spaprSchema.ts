// Scenario options of the VFIO SPAPR TCE backend (host.spapr): the PowerNV PE's table group as
// drivers/vfio/vfio_iommu_spapr_tce.c sees it (tce32 window, DDW base, TCE page sizes, levels).
// Must not: hold options of other backends.

import { z } from 'zod';
import { u64 } from './numbers';

export const SpaprHostSchema = z.strictObject({
  maxWindows: z
    .number()
    .int()
    .min(1)
    .max(2)
    .default(2)
    .meta({
      description:
        'DMA windows per container (max_dynamic_windows_supported: IOMMU_TABLE_GROUP_MAX_TABLES = 2 on PowerNV IODA2; 1 = a platform ' +
        'that only lends its default table, where a second window is refused -EPERM as in spapr_tce_create_table).',
    }),
  dma32WindowStart: u64.default(0).meta({
    description: 'Start of the default 32-bit window (table_group.tce32_start; 0 in pnv_pci_ioda2_setup_dma_pe).',
  }),
  dma32WindowSizeBytes: u64
    .refine((v) => v >= 4096 && v % 4096 === 0, 'must be a multiple of 4 KiB')
    .default(0x8000_0000)
    .meta({
      description:
        'Size of the default 32-bit window (table_group.tce32_size = phb->ioda.m32_pci_base in pnv_pci_ioda2_setup_dma_pe; ' +
        'skiboot puts the 32-bit MMIO window at M32_PCI_START = 0x80000000, so 2 GiB). v1 charges all of it at ENABLE.',
    }),
  ddwStartShift: z
    .number()
    .int()
    .min(32)
    .max(63)
    .default(59)
    .meta({
      description:
        'The second (64-bit) window starts at 2^ddwStartShift (table_group.tce64_start, formerly tce_bypass_base = 1 << 59: TVE #1 ' +
        'is selected by PCI address bit 59, pnv_pci_ioda2_setup_dma_pe). TCE_CREATE returns it as start_addr (it_offset << it_page_shift).',
    }),
  pageShifts: z
    .array(z.number().int().min(12).max(40))
    .min(1)
    .default([12, 16, 21, 30])
    .meta({
      description:
        'Supported TCE page shifts (table_group.pgsizes from "ibm,supported-tce-sizes", pnv_ioda_parse_tce_sizes; skiboot PHB4 / ' +
        'POWER9 advertises 4K, 64K, 2M, 1G). TCE_CREATE with another page size fails -EINVAL.',
    }),
  hostPageShift: z
    .union([z.literal(12), z.literal(16)])
    .default(16)
    .meta({
      description:
        'PAGE_SHIFT of the host kernel: 16 with CONFIG_PPC_64K_PAGES (what ppc64 distributions ship), 12 with 4K pages. ' +
        'REGISTER_MEMORY must be aligned to it, and TCEs up to this size need no hugetlbfs backing (mm_iommu_do_alloc).',
    }),
  maxLevels: z
    .number()
    .int()
    .min(1)
    .max(5)
    .default(5)
    .meta({ description: 'TCE table levels allowed (POWERNV_IOMMU_MAX_LEVELS = 5); more, or 0, is -EINVAL.' }),
});
