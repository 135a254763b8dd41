// Log lanes: the lines the real stack prints when a call fails, with the kernel's and QEMU's
// wording, errno numbers and strerror() texts as they print them, recorded as timeline events on
// a `log.kernel` lane (the host's dmesg), a `log.qemu.<vm>` lane (QEMU's stderr) or a `log.vmm` lane
// (what the caller of an ops script's ioctl prints), so a run shows
// the message a user pastes into a bug report beside the failure it comes from. Lanes and kinds
// are defined on the first line only: a run that prints nothing has no log lane. Each formatter
// cites the function whose format string it follows (L = Linux, Q = QEMU).
// Must not: decide whether anything fails (the layers do; they hand their failure over).

import type { SimTimeNs } from '../../sim/simTime';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import { LINUX_STRERROR, linuxErrnoName } from './errno';

/**
 * Records `message` on the kernel's, a VM's QEMU or the VMM's (an ops script's caller) log lane at
 * `t`, caused by `cause`; returns the event.
 */
export function recordLogLine(
  tl: TimelineRecorder,
  who: 'kernel' | 'vmm' | { qemu: string },
  t: number,
  message: string,
  cause: number,
): number {
  const lane = typeof who === 'string' ? tl.defineLane(`log.${who}`, 'log') : tl.defineLane(`log.qemu.${who.qemu}`, 'log');
  const kind = tl.defineKind({
    name: typeof who === 'string' ? `log.${who}.line` : 'log.qemu.line',
    args: [{ name: 'message', format: 'str' }],
  });
  return tl.record(t as SimTimeNs, 0, lane, kind, tl.internString(message), 0, 0, cause);
}

/** "-12 (Cannot allocate memory)": a negative errno as QEMU prints a return code (%d (%s), strerror(-ret)). */
export function errnoAsPrinted(errno: number): string {
  const name = linuxErrnoName(errno);
  return `-${Math.abs(errno)} (${name === null ? 'Success' : LINUX_STRERROR[name]})`;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** L drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote: pr_warn("%s: RLIMIT_MEMLOCK (%ld) exceeded\n", __func__, limit << PAGE_SHIFT). */
export function type1MemlockWarning(limitBytes: number): string {
  return `vfio_pin_pages_remote: RLIMIT_MEMLOCK (${limitBytes}) exceeded`;
}

/**
 * The address QEMU prints for its container object (%p). A real run prints a heap address; the lab
 * prints a fixed one so runs stay deterministic.
 */
export const QEMU_CONTAINER_PTR = 0x55d0c0de0000;

/**
 * Q hw/vfio/listener.c vfio_listener_region_add / vfio_iommu_map_notify:
 * "vfio_container_dma_map(%p, 0x%"HWADDR_PRIx", 0x%"HWADDR_PRIx", %p) = %d (%s)". Before QEMU 9.0
 * (hw/vfio/common.c) the same line said "vfio_dma_map(": b08501a999e2 "vfio/container: Switch to
 * dma_map|unmap API" renamed it with the base container that QEMU's iommufd backend came with.
 */
export function qemuDmaMapError(iova: number, size: number, vaddr: number, errno: number, qemuAtLeast9 = true): string {
  const fn = qemuAtLeast9 ? 'vfio_container_dma_map' : 'vfio_dma_map';
  return `${fn}(${hex(QEMU_CONTAINER_PTR)}, ${hex(iova)}, ${hex(size)}, ${hex(vaddr)}) = ${errnoAsPrinted(errno)}`;
}

/**
 * What QEMU prints when guest RAM cannot be mapped at container setup: vfio_connect_container's
 * error_propagate_prepend("memory listener initialization failed: ") over the listener's
 * "Region %s: " + the vfio_container_dma_map error (Q hw/vfio/container.c, hw/vfio/listener.c
 * vfio_listener_region_add), under vfio_realize's "vfio %s: failed to setup container for group %d: ".
 */
export function qemuListenerInitFailed(device: string, region: string, mapError: string): string {
  return `vfio ${device}: failed to setup container for group 0: memory listener initialization failed: Region ${region}: ${mapError}`;
}

/** The VFIO_IOMMU_MAP_DMA ioctl's failure as a caller prints it: "VFIO_MAP_DMA failed: %s" (Q hw/vfio/container.c vfio_legacy_dma_map, QEMU 5.2 to 9.2). */
export function vfioMapDmaFailed(errno: number): string {
  const name = linuxErrnoName(errno);
  return `VFIO_MAP_DMA failed: ${name === null ? 'Success' : LINUX_STRERROR[name]}`;
}

/** Which QEMU code maps into the container: its own iommufd backend (QEMU >= 9.0) or the legacy VFIO container. */
export type QemuMapBackend = 'iommufd' | 'legacy';

/** The QEMU releases whose map reports differ. */
export interface QemuMapRelease {
  readonly atLeast52: boolean;
  readonly atLeast10: boolean;
}

/**
 * What QEMU's map backend prints itself when the map ioctl fails, before the caller's
 * vfio_container_dma_map line; null for nothing. The legacy container (type1, SPAPR, or iommufd's
 * VFIO compatibility layer: Q hw/vfio/container.c vfio_legacy_dma_map) error_report()s
 * "VFIO_MAP_DMA failed: %s" (QEMU 5.2 to 9.2; "VFIO_MAP_DMA: %d" with -errno before 5.2); QEMU's
 * iommufd backend its IOMMU_IOAS_MAP line (qemuIoasMapFailed). QEMU 10.0 dropped both reports as
 * superfluous (889695f8f3c1 "vfio: Remove reports of DMA mapping errors in backends") except
 * iommufd's EFAULT warning.
 */
export function qemuBackendMapFailed(errno: number, backend: QemuMapBackend, release: QemuMapRelease): string | null {
  if (backend === 'iommufd') return qemuIoasMapFailed(errno, release.atLeast10);
  if (release.atLeast10) return null;
  return release.atLeast52 ? vfioMapDmaFailed(errno) : `VFIO_MAP_DMA: ${-errno}`;
}

/**
 * L drivers/iommu/intel/iommu.c intel_iommu_map (before Linux 5.4 reached by type1 for any IOVA):
 * pr_err("%s: iommu width (%d) is not sufficient for the mapped address (%llx)\n", __func__,
 * dmar_domain->gaw, max_addr) with pr_fmt "DMAR: "; max_addr = iova + size.
 */
export function intelIommuWidthError(widthBits: number, endExclusive: number): string {
  return `DMAR: intel_iommu_map: iommu width (${widthBits}) is not sufficient for the mapped address (${endExclusive.toString(16)})`;
}

/**
 * Q backends/iommufd.c iommufd_backend_map_dma on a failed IOMMU_IOAS_MAP: -EFAULT is
 * warn_report("IOMMU_IOAS_MAP failed: %m, PCI BAR?") (the map of a BAR's VM_PFNMAP range, which
 * upstream iommufd cannot pin); any other errno was error_report("IOMMU_IOAS_MAP failed: %m") until
 * QEMU dropped that report as superfluous (the lab: before 10.0), leaving the listener's line.
 * Null when this QEMU prints nothing here.
 */
export function qemuIoasMapFailed(errno: number, qemuAtLeast10: boolean): string | null {
  const name = linuxErrnoName(errno);
  const text = name === null ? 'Success' : LINUX_STRERROR[name];
  if (name === 'EFAULT') return `warning: IOMMU_IOAS_MAP failed: ${text}, PCI BAR?`;
  return qemuAtLeast10 ? null : `IOMMU_IOAS_MAP failed: ${text}`;
}

/**
 * Q hw/vfio/listener.c vfio_listener_region_add for a ram_device section (a device BAR): "Allow
 * unexpected mappings not to be fatal for RAM devices". From QEMU 10.0 a warning
 * (warn_report_err_once) with vfio_device_error_append's hint "%s: PCI peer-to-peer transactions on
 * BARs are not supported." on its own line; before 10.0 the same map error as an error_report and
 * no hint. Either way QEMU carries on.
 */
export function qemuRamDeviceMapFailed(
  device: string,
  iova: number,
  size: number,
  vaddr: number,
  errno: number,
  qemuAtLeast10: boolean,
  qemuAtLeast9 = true,
): string[] {
  const map = qemuDmaMapError(iova, size, vaddr, errno, qemuAtLeast9);
  return qemuAtLeast10 ? [`warning: ${map}`, `${device}: PCI peer-to-peer transactions on BARs are not supported.`] : [map];
}
