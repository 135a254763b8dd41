// Scenario options of the x86 vIOMMUs (vms[].viommu.intel, vms[].viommu.virtio).
// Must not: hold options of other vIOMMUs.

import { z } from 'zod';

export const IntelIommuSchema = z.strictObject({
  cachingMode: z
    .boolean()
    .default(true)
    .meta({
      description: 'Caching mode: the guest invalidates every new mapping, so QEMU can shadow it.',
      mirrors: '-device intel-iommu,caching-mode=on',
    }),
});

export const VirtioIommuSchema = z.strictObject({});
