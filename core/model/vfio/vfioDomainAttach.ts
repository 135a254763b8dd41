// Attaching one more IOMMU group to a type1 container (vfio_iommu_type1_attach_group): the checks
// against existing mappings, the new valid IOVA list, and either joining a compatible domain or
// creating a new one and replaying every mapping onto it (vfio_iommu_replay).
// Returns a plan the container commits; nothing here changes the container, and a failed replay
// leaves only a discarded domain behind.
// Must not: change mappings, dma_avail or locked memory (a replay maps already pinned pages).

import { EBUSY, EINVAL, ENOMEM, EPERM } from '../base/errno';
import { HostIommuDomain, type IommuGeometry } from '../host/hostIommu';
import type { IntervalMap } from '../base/intervalMap';
import { PAGE_SIZE, alignDown, alignUp } from '../base/pages';
import type { VfioDmaEnv, VfioDmaTally, VfioDomainSlot } from './vfioDma';
import { exclusiveEnd, type VfioIovaList } from './vfioIovaList';

/** A domain of the container with the groups (devices) attached to it. */
export interface VfioAttachedDomain extends VfioDomainSlot {
  readonly geometry: IommuGeometry;
  readonly devices: string[];
}

export interface VfioAttachRequest {
  readonly device: string;
  readonly geometry: IommuGeometry;
  /** IOMMU_CAP_INTR_REMAP / iommu_group_has_isolated_msi for the device. */
  readonly irqRemapping: boolean;
  /** vfio_iommu_type1.allow_unsafe_interrupts. */
  readonly allowUnsafeInterrupts: boolean;
}

/** What an attach needs of a mapping: where it is, and a replay onto a new domain (VfioDma.replayOnto). */
export interface ReplayableDma {
  readonly start: number;
  readonly last: number;
  readonly endExcl: number;
  replayOnto(env: VfioDmaEnv, slot: VfioDomainSlot, tally: VfioDmaTally): number;
}

export interface VfioAttachState {
  readonly dmas: IntervalMap<ReplayableDma>;
  readonly iovaList: VfioIovaList;
  /** In kernel list order: the newest new domain first (list_add at the head). */
  readonly domains: readonly VfioAttachedDomain[];
  readonly vaddrInvalidCount: number;
  readonly nextDomainSeq: number;
  hasDevice(device: string): boolean;
}

export type VfioAttachPlan =
  | { readonly errno: number }
  | {
      readonly errno: 0;
      readonly iovaList: VfioIovaList;
      /** The existing domain the group joins, or a new domain already holding every mapping. */
      readonly join: VfioAttachedDomain | null;
      readonly created: VfioAttachedDomain | null;
      /** PTEs the replay added to each mapping, in address order (empty when joining). */
      readonly replayPtes: readonly number[];
    };

/**
 * vfio_iommu_type1_attach_group, in its order of checks: invalid vaddrs -EBUSY (attach may need
 * to pin), group already attached -EINVAL, group allocation -ENOMEM, aperture conflict with
 * existing mappings -EINVAL (vfio_iommu_aper_conflict), reserved region over a mapping -EINVAL
 * (vfio_iommu_resv_conflict), empty IOVA list -EINVAL (vfio_iommu_resv_exclude), no interrupt
 * remapping without allow_unsafe_interrupts -EPERM; then join a compatible domain, else replay.
 */
export function planVfioAttach(state: VfioAttachState, req: VfioAttachRequest, env: VfioDmaEnv, tally: VfioDmaTally): VfioAttachPlan {
  if (state.vaddrInvalidCount > 0) return { errno: EBUSY };
  if (state.hasDevice(req.device)) return { errno: EINVAL };
  if (env.faults.fail('alloc')) return { errno: ENOMEM };
  const geo = req.geometry;
  const apertureEndExcl = exclusiveEnd(geo.apertureLast);
  if (aperConflict(state, geo.apertureStart, apertureEndExcl)) return { errno: EINVAL };
  for (const r of geo.reserved) {
    if (overlapsMapping(state.dmas, r.start, exclusiveEnd(r.last))) return { errno: EINVAL };
  }
  const iovaList = state.iovaList.resized(geo.apertureStart, apertureEndExcl).excluding(geo.reserved);
  if (iovaList.isEmpty) return { errno: EINVAL };
  if (!req.irqRemapping && !req.allowUnsafeInterrupts) return { errno: EPERM };

  // Same iommu_ops and coherency => the group joins that domain. All our devices sit behind the
  // same kind of IOMMU unless their page sizes differ, which stands in for a different driver.
  const join = state.domains.find((d) => samePageSizes(d.geometry.pageSizes, geo.pageSizes));
  if (join !== undefined) return { errno: 0, iovaList, join, created: null, replayPtes: [] };
  if (commonPageSizes([...state.domains.map((d) => d.geometry.pageSizes), geo.pageSizes]).length === 0) {
    // The kernel would take __ffs of an empty pgsize_bitmap; refuse instead of inventing a size.
    return { errno: EINVAL };
  }

  const created: VfioAttachedDomain = {
    iommu: new HostIommuDomain(geo, env.costs),
    seq: state.nextDomainSeq,
    geometry: geo,
    devices: [],
  };
  const replayPtes: number[] = [];
  for (const dma of state.dmas.values()) {
    tally.ptesMapped = 0;
    const err = dma.replayOnto(env, created, tally);
    replayPtes.push(tally.ptesMapped);
    if (err !== 0) {
      // vfio_iommu_replay unwind: iommu_unmap of everything replayed; the domain is then freed.
      let total = 0;
      for (const n of replayPtes) total += n;
      tally.costNs += created.iommu.unmapPtes(total) + created.iommu.iotlbSync();
      return { errno: err };
    }
  }
  return { errno: 0, iovaList, join: null, created, replayPtes };
}

/** vfio_update_pgsize_bitmap: page sizes every domain supports, sub-PAGE_SIZE ones replaced by PAGE_SIZE. */
export function commonPageSizes(perDomain: readonly (readonly number[])[]): number[] {
  if (perDomain.length === 0) return [PAGE_SIZE];
  let common = perDomain[0]!.filter((s) => perDomain.every((sizes) => sizes.includes(s)));
  if (common.some((s) => s < PAGE_SIZE)) common = [PAGE_SIZE, ...common.filter((s) => s > PAGE_SIZE)];
  return [...new Set(common)].sort((a, b) => a - b);
}

/** vfio_iommu_aper_conflict: disjoint apertures, or mappings outside the new aperture. */
function aperConflict(state: VfioAttachState, start: number, endExcl: number): boolean {
  const list = state.iovaList;
  if (list.isEmpty) return false;
  const lo = list.lowest;
  const hiExcl = list.highestEndExcl;
  if (start >= hiExcl || endExcl <= lo) return true;
  if (start > lo && overlapsMapping(state.dmas, lo, start)) return true;
  return endExcl < hiExcl && overlapsMapping(state.dmas, endExcl, hiExcl);
}

/** vfio_find_dma over [start, endExcl) (byte range; mappings are page aligned). */
function overlapsMapping(dmas: IntervalMap<ReplayableDma>, start: number, endExcl: number): boolean {
  if (endExcl <= start) return false;
  const first = dmas.firstOverlap(alignDown(start, PAGE_SIZE), alignUp(endExcl, PAGE_SIZE) - PAGE_SIZE);
  return first !== undefined && first.start < endExcl && first.endExcl > start;
}

function samePageSizes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}
