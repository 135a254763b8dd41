// Attaching a device to the io_pagetable of an IOAS: it joins an attached domain of the same
// geometry (iommufd_device_auto_get_domain), else a new domain is allocated and added
// (iopt_table_add_domain, iopt_fill_domain), after the device's reserved regions are reserved
// (iopt_table_enforce_dev_resv_regions). All or nothing: a failure leaves no reservation, pin or
// PTE behind.
// Must not: track which IOAS a device is attached to (the context does) or count ioctl costs.

import { EADDRINUSE, EINVAL, ENOMEM, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import { PAGE_SIZE } from '../base/pages';
import { U64_END } from '../base/bits';
import type { IoPagetable } from './ioPagetable';
import type { IommufdArea } from './iommufdPages';

/**
 * Attaches a device whose IOMMU has `geometry`. Order and errors: -EINVAL if the device is attached
 * already (iommufd_hw_pagetable_attach); a new domain's allocation (-ENOMEM); the device's reserved
 * regions (-EADDRINUSE over an area or allowed range); then ioptAddDomain. With windows on, first
 * -EINVAL if a window cannot be kept with this geometry.
 */
export function ioptAttachDevice(iopt: IoPagetable, geometry: IommuGeometry, device: string): number {
  if (iopt.domains.indexOfDevice(device) >= 0) return EINVAL;
  if (iopt.windows !== null && iopt.windows.checkDomain(geometry) !== OK) return EINVAL;
  const reuse = iopt.domains.findCompatible(geometry);
  if (reuse < 0 && iopt.deps.faults.fail('alloc')) return ENOMEM;
  const deviceOwner = `device:${device}`;
  for (const r of geometry.reserved) {
    if (iopt.space.reserve(r.start, r.last + 1, deviceOwner) !== OK) {
      iopt.space.unreserve(deviceOwner);
      return EADDRINUSE;
    }
  }
  if (reuse >= 0) {
    iopt.domains.list[reuse]!.devices.push(device);
    iopt.space.commitReserved();
    return OK;
  }
  const rc = ioptAddDomain(iopt, geometry, device);
  if (rc !== OK) iopt.space.unreserve(deviceOwner);
  else iopt.space.commitReserved();
  return rc;
}

/**
 * iopt_table_add_domain for a freshly allocated domain (device reservations already made):
 * new alignment = max(smallest domain page, current) > PAGE_SIZE -EINVAL, misaligned areas
 * -EADDRINUSE; the outside of the aperture reserved (-EADDRINUSE); then every area is pinned
 * (first domain only) and written into the domain (iopt_fill_domain: -EFAULT, -ENOMEM).
 */
function ioptAddDomain(iopt: IoPagetable, geometry: IommuGeometry, device: string): number {
  const domain = iopt.domains.newDomain(geometry);
  const index = iopt.domains.count;
  const newAlignment = Math.max(domain.minPageSize, iopt.iovaAlignment);
  if (newAlignment > PAGE_SIZE) return EINVAL;
  if (newAlignment !== iopt.iovaAlignment && !iopt.areasAlignedTo(newAlignment)) return EADDRINUSE;
  const owner = `domain:${index}`;
  const apertureEnd = geometry.apertureLast + 1;
  if (
    (geometry.apertureStart !== 0 && iopt.space.reserve(0, geometry.apertureStart, owner) !== OK) ||
    (apertureEnd < U64_END && iopt.space.reserve(apertureEnd, U64_END, owner) !== OK)
  ) {
    iopt.space.unreserve(owner);
    return EADDRINUSE;
  }
  // iopt_fill_domain: the first domain makes every area pin its pages
  const pinning = index === 0;
  const done: IommufdArea[] = [];
  const ptes: number[] = [];
  for (const area of iopt.space.areas.values()) {
    let rc = pinning ? iopt.holdPins(area) : OK;
    if (rc === OK) {
      rc = iopt.domains.mapArea(domain, area, iopt.largePagesDisabled);
      if (rc !== OK && pinning) iopt.releasePins(area);
    }
    if (rc !== OK) {
      for (let i = 0; i < done.length; i++) {
        iopt.domains.costNs += domain.unmapPtes(ptes[i]!) + domain.iotlbSync();
        if (pinning) iopt.releasePins(done[i]!);
      }
      iopt.space.unreserve(owner);
      return rc;
    }
    done.push(area);
    ptes.push(iopt.domains.lastPtes);
  }
  // Commit: every area gains its PTE count in the new domain (a new exact-size list).
  for (let i = 0; i < done.length; i++) done[i]!.ptes = [...done[i]!.ptes, ptes[i]!];
  iopt.domains.push(domain, device);
  iopt.iovaAlignment = newAlignment;
  return OK;
}
