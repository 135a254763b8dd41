// Scenario options of the iommufd backend (host.iommufd).
// Must not: hold options of other backends.

import { z } from 'zod';

export const IommufdHostSchema = z.strictObject({
  dmaWindows: z
    .boolean()
    .default(false)
    .meta({ description: 'Enable the DMA-window extension proposed in reference 001 (IOAS windows; off in Linux today).' }),
  pfnmap: z
    .enum(['refuse', 'charge', 'noCharge'])
    .optional()
    .meta({
      description:
        'What a map of a VM_PFNMAP range (a device BAR QEMU mmapped) does, by kernel: refuse = upstream Linux (pin_user_pages refuses ' +
        'the VMA, -EFAULT; the default); charge = linux-nvidia 6.14 / 6.17 kernels whose pfn_reader_user_pin follows PFNMAP VMAs and charges ' +
        'them to RLIMIT_MEMLOCK (-ENOMEM for a large BAR); noCharge = the same kernels with the change NVIDIA/NV-Kernels#248 / #249 proposed ' +
        '(device memory is IOPT_PAGES_ACCOUNT_NONE, as type1 never charges it; closed unmerged).',
    }),
});
