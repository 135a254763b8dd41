// Names, units and meanings of the metrics scenario faults report: how many fired, and what each
// kind caused (stale DMAs, device and guest lifecycle incidents, window changes without a PE), for
// the run's catalog.
// Must not: compute metrics (the fault handlers count them on the stack; the run reports the fired total).

import { metric, type MetricInfo } from '../contract/catalog';

export const FAULT_METRICS: readonly MetricInfo[] = [
  metric('faults.injected', 'faults', 'scenario faults that fired'),
  metric(
    'dma.staleAccesses',
    'accesses',
    'injected DMAs to a just-unmapped address that reached the freed buffer (its unmap waited for a flush)',
  ),
  metric('dma.remappedAccesses', 'accesses', 'injected DMAs to a just-unmapped address that reached another buffer (the IOVA was reused)'),
  metric('dma.unprotectedAccesses', 'accesses', 'injected DMAs that reached guest memory because no vIOMMU translates (dma-direct)'),
  metric('dma.toUnmappedWithoutTarget', 'faults', 'dma-to-unmapped faults that found nothing unmapped yet'),
  metric(
    'iommu.faults',
    'faults',
    'DMAs the IOMMU blocked (translation gone): DMAR faults, zPCI translation errors, EEH freezes on PowerPC',
  ),
  metric('device.unplugs', 'devices', 'devices hot-unplugged (removed once their IOs in flight finished)'),
  metric('device.hotplugs', 'devices', 'devices hot-plugged back'),
  metric('device.hotplugMs', 'ms', "simulated time of the hot-plugs: QEMU's VFIO work (re-mapping guest RAM) plus the guest's probe"),
  metric('guest.resets', 'resets', 'guest reboots'),
  metric('window.changeWithoutPe', 'faults', 'window-change faults naming a host PE no guest PHB holds'),
];
