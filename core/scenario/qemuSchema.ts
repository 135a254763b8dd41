// Scenario options of QEMU (host.qemu).
// Must not: hold kernel options (host.vfio, host.iommu).

import { z } from 'zod';
import { DEFAULT_QEMU_VERSION } from './versions';

/** "M.m" or "M.m.p" (what `qemu-system-* --version` prints). */
export const versionString = z
  .string({
    error: (i) =>
      i.input === undefined ? undefined : 'must be a version written as a string, like "6.10" (a number cannot tell 6.1 from 6.10)',
  })
  .regex(/^(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})(\.(0|[1-9][0-9]{0,3}))?$/, 'must be a version like "8.2" or "8.2.1"');

export const QemuHostSchema = z.strictObject({
  version: versionString.default(DEFAULT_QEMU_VERSION).meta({
    description:
      'QEMU release. It sets the QEMU behaviour switches that releases changed (s390 RPCIT second pass 7.2, coalesced unmaps and the DMA aperture shrink 8.0, relaxed translation 10.0, intel-iommu aw-bits 10.0, virtio-iommu aw-bits 9.0, sPAPR DDW page sizes 4.2 and 7.1) unless the scenario sets them; docs/model.md#versions lists them with their sources.',
    mirrors: 'qemu-system-* --version',
  }),
  machine: z
    .string()
    .regex(
      /^(pc-q35|s390-ccw-virtio|pseries)-[0-9]+\.[0-9]+$/,
      'must be a versioned machine type like "pc-q35-9.2", "s390-ccw-virtio-10.0" or "pseries-4.1"',
    )
    .optional()
    .meta({
      description: "Versioned machine type (compat properties follow it); default: the QEMU release's newest for the architecture.",
      mirrors: '-machine',
    }),
  iovaTree: z
    .strictObject({
      fix: z
        .enum(['none', 'id', 'reverse-index', 'id+reverse-index'])
        .default('none')
        .meta({ description: "QEMU's util/iova-tree.c as today (none) or with the proposed fixes of reference 004." }),
    })
    .prefault({}),
});
