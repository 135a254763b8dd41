// Scenario options of the sPAPR vIOMMU (vms[].viommu.spapr): the guest's PHB, its DMA windows and the
// pseries guest driver's choices.
// Must not: hold options of other architectures, or EEH options (eehSchema.ts).

import { z } from 'zod';
import { isPowerOfTwo, u64 } from './numbers';
import { PARAMETER_DEFAULTS as P } from './parameterDefaults';

/** Page shifts LoPAPR's ibm,query-pe-dma-window can report (spapr_page_mask_to_query_mask, plus 2M). */
export const SPAPR_DDW_PAGE_SHIFTS = [12, 16, 21, 24, 25, 26, 27, 28, 34] as const;

export const SpaprViommuSchema = z.strictObject({
  ddw: z.boolean().default(true).meta({
    description: 'The guest PHB offers dynamic DMA windows (the ibm,ddw-applicable RTAS calls); off = only the default window.',
    mirrors: 'QEMU spapr-pci-host-bridge property "ddw" (ddw_enabled)',
  }),
  dmaWinSizeBytes: u64
    .refine((v) => v >= 4096 && isPowerOfTwo(v), 'must be a power of two of at least 4 KiB')
    .refine((v) => v <= 2 ** 43, 'must be at most 2^43 (2^31 TCEs of 4 KiB: nb_table is 32-bit)')
    .default(P['vms[].viommu.spapr.dmaWinSizeBytes'].value)
    .meta({
      description: 'Size of the default 32-bit DMA window (base dma_win_addr 0, 4 KiB TCEs), restored by ibm,reset-pe-dma-window.',
      mirrors: P['vms[].viommu.spapr.dmaWinSizeBytes'].mirrors,
    }),
  dma64WinShift: z
    .number()
    .int()
    .min(32)
    .max(63)
    .default(P['vms[].viommu.spapr.dma64WinShift'].value)
    .meta({
      description:
        'The 64-bit window (a window created while another is active) starts at 2^dma64WinShift; the host must offer the same base ' +
        '(host.spapr.ddwStartShift). A shift rather than an address because 2^59 is past the exact integers of a JSON number.',
      mirrors: P['vms[].viommu.spapr.dma64WinShift'].mirrors,
    }),
  pageShifts: z
    .array(
      z
        .number()
        .int()
        .refine((s) => (SPAPR_DDW_PAGE_SHIFTS as readonly number[]).includes(s), `must be one of ${SPAPR_DDW_PAGE_SHIFTS.join(', ')}`),
    )
    .min(1)
    .default([12, 16, 21, 24])
    .meta({
      description:
        'TCE page sizes (as shifts) the PHB accepts for DDW (pgsz): 4K|64K|2M|16M with QEMU >= 4.2 on pseries-4.2 or newer, 4K|64K before (default from host.qemu.version and host.qemu.machine). ibm,query-pe-dma-window reports them as a LoPAPR mask (4K 0x01, 64K 0x02, 16M 0x04 ... 2M 0x100).',
      mirrors: 'QEMU spapr-pci-host-bridge property "pgsz" (page_size_mask)',
    }),
  queryReports2M: z.boolean().default(true).meta({
    description:
      'ibm,query-pe-dma-window reports 2M pages (0x100) when pgsz has them (QEMU >= 7.1); older QEMU accepts 2M at create but never reports it.',
    mirrors: 'QEMU hw/ppc/spapr_rtas_ddw.c spapr_page_mask_to_query_mask ("ppc/spapr/ddw: Add 2M pagesize")',
  }),
  inKernelTce: z
    .boolean()
    .default(true)
    .meta({
      description:
        'KVM handles H_PUT_TCE, H_PUT_TCE_INDIRECT, H_STUFF_TCE and H_GET_TCE in the kernel and writes the host TCE tables directly (needs the v2 ' +
        'backend); off = every TCE hypercall exits to QEMU, which maps through VFIO. Under powervm-nested this needs an L1 kernel that offers the ' +
        'capability to pSeries hosts (2025); older L1 kernels behave as off.',
      mirrors: 'KVM_CAP_SPAPR_TCE_VFIO (arch/powerpc/kvm/book3s_64_vio.c, QEMU kvmppc_has_cap_spapr_vfio)',
    }),
  multiTce: z.boolean().default(true).meta({
    description:
      'The guest batches TCEs: H_PUT_TCE_INDIRECT (<= 512 per call) to map and H_STUFF_TCE to unmap; off = one H_PUT_TCE per TCE.',
    mirrors: 'ibm,hypertas-functions "hcall-multi-tce"; Linux boot parameter multitce=off',
  }),
  guestDisableDdw: z.boolean().default(false).meta({
    description: 'The guest never asks for a DDW: every device maps through the default window.',
    mirrors: 'Linux boot parameter disable_ddw (arch/powerpc/platforms/pseries/iommu.c)',
  }),
  guestDirectMapping: z
    .boolean()
    .default(true)
    .meta({
      description:
        'When the DDW can hold all guest RAM the guest maps all of it once and DMA maps become a fixed offset (no hypercall); off = the guest ' +
        'allocates TCEs in the DDW per mapping, as Linux does when the window is too small ("linux,dma64-ddr-window-info").',
      mirrors: 'Linux enable_ddw: direct_mapping (DIRECT64_PROPNAME) vs dynamic_mapping',
    }),
  guestPageShift: z
    .union([z.literal(12), z.literal(16)])
    .default(16)
    .meta({
      description: 'PAGE_SHIFT of the guest kernel: 16 with CONFIG_PPC_64K_PAGES (distribution kernels), 12 with 4K pages.',
      mirrors: 'guest CONFIG_PPC_64K_PAGES',
    }),
  windowChange: z
    .enum(['switch-and-copy', 'in-place'])
    .default('switch-and-copy')
    .meta({
      description:
        'How the hypervisor serves a DMA window change: "in-place" = remove and create the window in the VFIO container (today\'s SPAPR TCE ' +
        'backend); "switch-and-copy" = a new address space with the new windows into which the still-valid mappings are copied, then the devices ' +
        'switch (the emulation for fixed-window backends, reference 001).',
      mirrors: 'reference 001 (Gibson / Gunthorpe, iommufd windows)',
    }),
});

export type SpaprViommuOptions = z.output<typeof SpaprViommuSchema>;
