// Scenario options of QEMU (host.qemu).
// Must not: hold kernel options (host.vfio, host.iommu).

import { z } from 'zod';

export const QemuHostSchema = z.strictObject({
  iovaTree: z
    .strictObject({
      fix: z
        .enum(['none', 'id', 'reverse-index', 'id+reverse-index'])
        .default('none')
        .meta({ description: "QEMU's util/iova-tree.c as today (none) or with the proposed fixes of reference 004." }),
    })
    .prefault({}),
});
