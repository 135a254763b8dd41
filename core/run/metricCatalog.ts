// Names, units and meanings of the metrics runs produce (docs/model.md#outputs). The app and the CLI
// show every metric with its unit from here; a metric missing from the catalog is a test failure.
// Must not: compute metrics.

import type { MetricInfo } from '../contract/catalog';
import { VFIO_METRICS } from '../ops/vfioOps';
import { SPAPR_METRICS } from '../ops/spaprOps';
import { IOVA_TREE_METRICS } from '../ops/iovaTreeOps';
import { IOMMUFD_METRICS } from '../ops/iommufdOps';
import { X86_VIOMMU_METRICS } from '../model/x86/x86ViommuMetrics';
import { S390_METRICS } from '../model/s390/s390Metrics';
import { DMA_METRICS } from '../ops/dmaOps';
import { WORKLOAD_METRICS } from '../workload/workloadMetrics';
import { EEH_METRICS } from '../model/ppc/eeh/eehMetrics';
import { SPAPR_GUEST_METRICS } from '../model/ppc/ppcMetrics';

function m(name: string, unit: string, description: string): MetricInfo {
  return { name, unit, description };
}

export const METRIC_CATALOG: readonly MetricInfo[] = [
  m('io.completed', 'IOs', 'IOs completed during the run'),
  m('io.iops', 'IO/s', 'completed IOs per simulated second'),
  m('io.bandwidthMBps', 'MB/s', 'payload bytes per simulated second, 10^6 bytes'),
  m('io.latencyP50Us', 'us', 'median IO latency, submit to unmap done'),
  m('io.latencyP99Us', 'us', '99th percentile IO latency'),
  m('io.errors', 'IOs', 'IOs that failed (EIO: frozen device, removed device, a DMA the host IOMMU faulted)'),
  m('io.mapRetries', 'IOs', 'IOs whose DMA map failed and that blk-mq retried after 3 ms (BLK_STS_RESOURCE)'),

  m('dma.maps', 'calls', 'guest DMA API map calls'),
  m('dma.unmaps', 'calls', 'guest DMA API unmap calls'),
  m('dma.mapFailures', 'calls', 'map calls that returned DMA_MAPPING_ERROR'),
  m('sim.events', 'events', 'simulation events processed'),
  m('sim.timelineEvents', 'events', 'timeline events recorded'),
  m('sim.timelineDropped', 'events', 'timeline events not stored because the recorder cap was reached'),
  m('sim.simulatedMs', 'ms', 'simulated time covered by the run'),
  m('sim.wallMs', 'ms', 'wall-clock time the simulation took (host-measured, not deterministic)'),
  m('vmexits', 'exits', 'VM exits into QEMU caused by the DMA path (invalidations, RPCIT, virtio-iommu kicks)'),
  m('qemu.startFailures', 'VMs', 'VMs whose QEMU could not start: guest RAM failed to map at boot (vfio_connect_container)'),
  m('qemu.busyMs', 'ms', 'time QEMU spent handling those exits under its big lock'),
  m('qemu.vfioMapFailures', 'calls', 'VFIO map ioctls of QEMU that failed (logged by QEMU, invisible to the guest)'),
  m('guest.vcpuUtilization', 'fraction', 'busiest VM: share of vCPU time spent in the DMA path and traps'),
  m('vfio.bootMs', 'ms', 'VFIO work to map guest RAM at boot (vIOMMU-less guests; not part of the run time)'),
  m('iova.exhaustions', 'calls', 'IOVA allocations that failed even after flushing the rcaches'),
  m('iova.allocatedPagesPeak', 'pages', 'most guest IOVA pages allocated at once (including cached and queued ones)'),
  m(
    'iotlb.flushes.global',
    'flushes',
    "global IOTLB flushes: flush_iotlb_all of the flush queues, or the s390 legacy code's global RPCITs",
  ),
  m('iotlb.flushes.range', 'flushes', 'range IOTLB syncs of strict unmaps (dma-iommu, or the s390 legacy code in strict mode)'),

  m('fq.fullFlushes', 'flushes', 'flushes forced by a full flush queue'),
  m('fq.timerFlushes', 'flushes', 'flushes by the flush-queue timer'),
  m('fq.peakDepth', 'IOVAs', 'most IOVAs waiting in flush queues at once'),
  m('staleIotlbWindowUsP99', 'us', '99th percentile time a device could still reach a buffer after its unmap (until the IOTLB flush)'),
  m('vfio.lockedBytesEnd', 'bytes', 'locked memory (RLIMIT_MEMLOCK account) of the QEMU process at the end of the run'),
  m('faults.injected', 'faults', 'scenario faults that fired'),
  m(
    'dma.staleAccesses',
    'accesses',
    'injected DMAs to a just-unmapped address that reached the freed buffer (its unmap waited for a flush)',
  ),
  m('dma.remappedAccesses', 'accesses', 'injected DMAs to a just-unmapped address that reached another buffer (the IOVA was reused)'),
  m('dma.unprotectedAccesses', 'accesses', 'injected DMAs that reached guest memory because no vIOMMU translates (dma-direct)'),
  m('dma.toUnmappedWithoutTarget', 'faults', 'dma-to-unmapped faults that found nothing unmapped yet'),
  m('iommu.faults', 'faults', 'DMAs the IOMMU blocked (translation gone): DMAR faults, zPCI translation errors, EEH freezes on PowerPC'),
  m('device.unplugs', 'devices', 'devices hot-unplugged (removed once their IOs in flight finished)'),
  m('device.hotplugs', 'devices', 'devices hot-plugged back'),
  m('device.hotplugMs', 'ms', "simulated time of the hot-plugs: QEMU's VFIO work (re-mapping guest RAM) plus the guest's probe"),
  m('device.offlineMs', 'ms', 'simulated time devices were not available to their guest (draining, removed, rebooting)'),
  m('guest.resets', 'resets', 'guest reboots'),
  m('io.aborted', 'IOs', 'IOs in flight when their guest was reset (lost, never completed)'),
  m('vfio.entriesEnd', 'entries', 'vfio_dma entries left in the containers at the end of the run'),
  m('ops.steps', 'calls', 'ops-script steps run'),

  m('ops.failed', 'calls', 'ops-script steps that returned an error'),
  ...VFIO_METRICS,
  ...IOMMUFD_METRICS,
  ...X86_VIOMMU_METRICS,
  ...S390_METRICS,

  ...SPAPR_METRICS,
  ...SPAPR_GUEST_METRICS,

  ...IOVA_TREE_METRICS,
  ...DMA_METRICS,
  ...WORKLOAD_METRICS,
  ...EEH_METRICS,
];

const BY_NAME = new Map(METRIC_CATALOG.map((x) => [x.name, x]));

const OPS_OUTPUT = /^ops\.(\d+)\.(.+)$/;

/**
 * The catalog entry of a metric; a variant prefix ("lazy:vfio.entriesPeak") is looked through, and
 * `ops.<step>.<field>` (an ops step's numeric output) is described from its name.
 */
export function metricInfo(name: string): MetricInfo | undefined {
  const colon = name.indexOf(':');
  const local = colon >= 0 ? name.slice(colon + 1) : name;
  const known = BY_NAME.get(local);
  if (known !== undefined) return known;
  const out = OPS_OUTPUT.exec(local);
  if (out === null) return undefined;
  return { name: local, unit: 'value', description: `output "${out[2]}" of ops step ${out[1]} (bytes, addresses, counts: see the op)` };
}
