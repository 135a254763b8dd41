// Names, units and meanings of the metrics the built stack reports for all its VMs and devices:
// QEMU's exits and VFIO failures, vCPU load, device availability, and the QEMU process's VFIO
// totals (boot mapping time, entries and locked memory at the end), for the run's catalog.
// Must not: compute metrics (stackBuilder.ts does; an ops run reports the locked-memory ones too).

import { metric, type MetricInfo } from '../contract/catalog';

export const STACK_METRICS: readonly MetricInfo[] = [
  metric('vmexits', 'exits', 'VM exits into QEMU caused by the DMA path (invalidations, RPCIT, virtio-iommu kicks)'),
  metric('qemu.startFailures', 'VMs', 'VMs whose QEMU could not start: guest RAM failed to map at boot (vfio_connect_container)'),
  metric('qemu.busyMs', 'ms', 'time QEMU spent handling those exits under its big lock'),
  metric('qemu.vfioMapFailures', 'calls', 'VFIO map ioctls of QEMU that failed (logged by QEMU, invisible to the guest)'),
  metric(
    'qemu.barMapFailures',
    'calls',
    'device BAR (ram_device) maps QEMU could not make: only a warning, the guest runs without peer-to-peer DMA to that BAR (VMs with devices[].barBytes)',
  ),
  metric(
    'qemu.barMapErrno',
    'errno',
    'errno of the failed BAR map (12 ENOMEM: RLIMIT_MEMLOCK; 14 EFAULT: the PFNMAP range cannot be pinned), 0 when none failed',
  ),
  metric(
    'qemu.barBytesMapped',
    'bytes',
    'bytes of device BARs mapped into the containers for peer-to-peer DMA (VMs with devices[].barBytes)',
  ),
  metric('guest.vcpuUtilization', 'fraction', 'busiest VM: share of vCPU time spent in the DMA path and traps'),
  metric('vfio.bootMs', 'ms', 'VFIO work to map guest RAM at boot (vIOMMU-less guests; not part of the run time)'),
  metric('vfio.lockedBytesEnd', 'bytes', 'locked memory (RLIMIT_MEMLOCK account) of the QEMU process at the end of the run'),
  metric('vfio.lockedBytesPeak', 'bytes', "peak of the QEMU process's locked memory (locked_vm), all containers"),
  metric('vfio.memlockFailures', 'calls', 'charges refused because RLIMIT_MEMLOCK would be exceeded'),
  metric('vfio.entriesEnd', 'entries', 'vfio_dma entries left in the containers at the end of the run'),
  metric('device.offlineMs', 'ms', 'simulated time devices were not available to their guest (draining, removed, rebooting)'),
  metric('io.aborted', 'IOs', 'IOs in flight when their guest was reset (lost, never completed)'),
];
