// The host container QEMU opens for a scenario's VFIO backend: a type1 container (v1 or v2), or
// iommufd's VFIO compatibility layer answering the same ioctls. The stack builder creates one per
// DMA address space; ops scripts create the ones they name.
// Must not: model any kernel behaviour (the containers do).

import type { HostEnvironment } from '../model/host/hostEnvironment';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';
import { VfioType1Container } from '../model/vfio/vfioType1';
import { IommufdVfioCompat } from '../model/iommufd/iommufdVfioCompat';
import { hugePageBytes } from '../model/iommufd/iommufdContext';

/** The container behind `name`, built from env.scenario.host.vfio. */
export function createVfioContainer(env: HostEnvironment, name: string, initialDevice?: string): VfioContainerApi {
  const host = env.scenario.host;
  const backend = host.vfio.backend;
  let version: 1 | 2;
  switch (backend) {
    case 'type1v1':
      version = 1;
      break;
    case 'type1v2':
      version = 2;
      break;
    case 'iommufd': {
      // QEMU opens /dev/vfio/vfio served by iommufd's compat layer and asks for type1 v2.
      const compat = new IommufdVfioCompat(name, {
        process: env.process,
        costs: env.costs,
        faults: env.faults,
        geometry: env.geometry,
        version: 'type1v2',
        maxAutoAlignBytes: hugePageBytes(env.scenario.host.arch),
        ...(host.iommufd.pfnmap === undefined ? {} : { pfnmap: host.iommufd.pfnmap }),
      });
      // VFIO_GROUP_SET_CONTAINER attaches the group's device to the compat IOAS (iommufd_vfio_compat_ioas_create,
      // iommufd_device_attach) before QEMU's listener maps RAM, so maps fill a domain and pin (iopt_area_fill_domains),
      // as type1 pins at map time. Without it nothing would ever be pinned or charged.
      const device = initialDevice ?? env.scenario.vms[0]?.devices[0]?.name;
      if (device !== undefined) compat.attachDevice(device);
      return compat;
    }
    case 'spapr-tce-v1':
    case 'spapr-tce-v2':
      throw new Error(`backend ${backend}: a SPAPR TCE container does not serve type1 calls (use the spapr.* ops)`);
    default: {
      const never: never = backend;
      throw new Error(`unknown VFIO backend ${String(never)}`);
    }
  }
  return new VfioType1Container(name, version, {
    process: env.process,
    costs: env.costs,
    faults: env.faults,
    dmaEntryLimit: host.vfio.dmaEntryLimit,
    disableHugepages: host.vfio.disableHugepages,
    geometry: env.geometry,
    irqRemapping: host.iommu.irqRemapping,
    allowUnsafeInterrupts: host.vfio.allowUnsafeInterrupts,
    iovaRangeCheck: host.vfio.iovaRangeCheck,
    initialDevice: initialDevice ?? env.scenario.vms[0]?.devices[0]?.name,
  });
}
