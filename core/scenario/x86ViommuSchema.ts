// Scenario options of the x86 vIOMMUs (vms[].viommu.intel, vms[].viommu.virtio): what QEMU
// advertises to the guest and what the guest driver does with it. Each default names its source.
// Must not: hold options of other vIOMMUs.

import { z } from 'zod';

export const IntelIommuSchema = z.strictObject({
  cachingMode: z.boolean().default(true).meta({
    description:
      'Caching mode: the guest invalidates every new mapping, so QEMU can shadow it. Without it QEMU refuses device assignment (hw/i386/intel_iommu.c vtd_panic_require_caching_mode). With it Linux >= 5.11 runs the device strict whatever iommu.strict says (cachingModeForcesStrict); the run reports the mode in effect (dma.mode event, dma.domainsForcedStrict).',
    mirrors: '-device intel-iommu,caching-mode=on',
  }),
  awBits: z
    .union([z.literal(39), z.literal(48)])
    .default(48)
    .meta({
      description:
        'Guest address width: 48 = 4-level second-level tables (QEMU >= 10.0 on pc-q35-9.2 or newer, VTD_HOST_ADDRESS_WIDTH), 39 = 3-level (older QEMU or machine types, pc_compat_9_1). Default from host.qemu.version and host.qemu.machine.',
      mirrors: '-device intel-iommu,aw-bits=48',
    }),
  cachingModeForcesStrict: z.boolean().default(true).meta({
    description:
      'Under caching mode the guest driver refuses flush queues ("IOMMU batching disallowed due to virtualization") and runs strict (Linux >= 5.11; default from the guest kernel version). Off: lazy modes are allowed.',
    mirrors: 'drivers/iommu/intel/iommu.c intel_iommu_init -> iommu_set_dma_strict',
  }),
  superpages: z.enum(['none', '2m', '2m+1g']).default('2m+1g').meta({
    description:
      'Second-level large pages the guest driver may use. QEMU advertises 2 MiB and 1 GiB (VTD_CAP_SLLPS); Linux uses one where IOVA and guest-physical address are both aligned (hardware_largepage_caps). none = intel_iommu=sp_off.',
    mirrors: 'intel_iommu=sp_off',
  }),
});

export const VirtioIommuSchema = z.strictObject({
  awBits: z.number().int().min(32).max(64).default(39).meta({
    description:
      'Input address width QEMU reports (input_range = [0, 2^aw - 1]). 39 on q35 since QEMU 9.0 ("hw/i386/q35: Set virtio-iommu aw-bits default value to 39"); 64 on older machine types.',
    mirrors: '-device virtio-iommu-pci,aw-bits=39',
  }),
  deferredFlush: z.boolean().default(true).meta({
    description:
      'The guest driver reports IOMMU_CAP_DEFERRED_FLUSH and has flush_iotlb_all, so lazy (flush-queue) mode is possible (Linux >= 6.8, 6f01a732608f "iommu/virtio: Add ops->flush_iotlb_all and enable deferred flush"). Off = older guest, always strict.',
    mirrors: 'drivers/iommu/virtio-iommu.c viommu_capable',
  }),
  iotlbSyncMap: z.boolean().default(true).meta({
    description:
      'The guest driver has iotlb_sync_map: viommu_map_pages only queues its MAP request and one kick syncs a whole iommu_map / iommu_map_sg (Linux >= 6.8, "iommu/virtio: Make use of ops->iotlb_sync_map"). Off = older guest: every viommu_map_pages call sends its MAP and waits (viommu_send_req_sync), so a scatterlist of n elements costs n kicks.',
    mirrors: 'drivers/iommu/virtio-iommu.c viommu_iotlb_sync_map',
  }),
  shadowOnFlush: z.boolean().default(false).meta({
    description:
      'The guest driver sets dev_iommu.shadow_on_flush, so dma-iommu picks the single large flush queue. Upstream Linux does not set it for virtio-iommu (only an RFC of the s390 dma-iommu series did); on shows what it would change.',
    mirrors: 'drivers/iommu/virtio-iommu.c viommu_probe_device',
  }),
  requestQueueSize: z.number().int().min(2).max(32768).default(256).meta({
    description:
      'Entries of the request virtqueue; when it is full the guest kicks and waits for QEMU before adding (__viommu_add_req). QEMU VIOMMU_DEFAULT_QUEUE_SIZE.',
    mirrors: 'hw/virtio/virtio-iommu.c VIOMMU_DEFAULT_QUEUE_SIZE',
  }),
});

export type IntelIommuOptions = z.output<typeof IntelIommuSchema>;
export type VirtioIommuOptions = z.output<typeof VirtioIommuSchema>;
