// One iommufd IOAS object (drivers/iommu/iommufd/ioas.c): its ioctls (IOAS_MAP, IOAS_COPY,
// IOAS_UNMAP, IOAS_ALLOW_IOVAS, IOAS_IOVA_RANGES, IOMMU_OPTION_HUGE_PAGES, the selftest's
// ADD_RESERVED and the window extension's CREATE/REMOVE_WINDOW) with their argument checks,
// counters and simulated cost, over the io_pagetable it owns (ioPagetable.ts), plus the device
// attach the context asks for, its metrics, its snapshot and its invariants. Every call is all or
// nothing, except the one partial IOAS_UNMAP the kernel has (see ioPagetable.ts).
// Must not: hold state of other IOAS (the context does) or know op names (core/ops/iommufdOps.ts
// maps ops onto these calls).

import type { MetricMap } from '../../sim/metricSink';
import { addMetric, maxMetric } from '../../sim/metricSink';
import type { LayerInstance } from '../base/layerInstance';
import { EINVAL, EMSGSIZE, ENOENT, ENOMEM, EOPNOTSUPP, EOVERFLOW, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import { U64_END } from '../base/bits';
import type { IovaSpan } from './iommufdIovaSpan';
import { IoPagetable, type IoPagetableDeps, type PagesSlice } from './ioPagetable';
import { ioptAttachDevice } from './iommufdDomainAttach';
import { ioptInvariants, ioptSnapshot } from './ioPagetableInvariants';
import type { IommufdDomains } from './iommufdDomains';
import type { IommufdIovaSpace } from './iommufdIovaSpace';
import type { IommufdArea } from './iommufdPages';
import type { IommufdWindow } from './iommufdWindows';

/** enum iommufd_ioas_map_flags (include/uapi/linux/iommufd.h). */
export const IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
export const IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
export const IOMMU_IOAS_MAP_READABLE = 1 << 2;
const MAP_FLAGS = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;

/** IOMMU_IOAS_MAP_READABLE / _WRITEABLE of a read / write mapping. */
export function protFlags(read: boolean, write: boolean): number {
  return (read ? IOMMU_IOAS_MAP_READABLE : 0) | (write ? IOMMU_IOAS_MAP_WRITEABLE : 0);
}

/** One range of IOMMU_IOAS_ALLOW_IOVAS, inclusive as in struct iommu_iova_range. */
export interface IommufdIovaRange {
  readonly start: number;
  readonly last: number;
}

export class IommufdIoas implements LayerInstance {
  /** ioas->iopt. */
  readonly iopt: IoPagetable;

  mapIoctls = 0;
  unmapIoctls = 0;
  copyIoctls = 0;
  mapFailures = 0;

  /** IOAS_IOVA_RANGES output: the first `capacity` ranges (half-open) and the real count. */
  lastIovaRanges: readonly IovaSpan[] = [];
  lastIovaRangeCount = 0;
  lastIovaAlignment = 1;
  /** The window created by the last createWindow. */
  lastWindow: IommufdWindow | null = null;
  /** Simulated cost of the last call, ns (also on failure). */
  lastCostNs = 0;

  /** Why the last refused map, copy or unmap was refused (the check that failed), or null. */
  get lastWhy(): string | null {
    return this.iopt.lastWhy;
  }

  constructor(
    readonly id: number,
    readonly name: string,
    readonly laneName: string,
    readonly deps: IoPagetableDeps,
  ) {
    this.iopt = new IoPagetable(deps);
  }

  get space(): IommufdIovaSpace {
    return this.iopt.space;
  }

  get domains(): IommufdDomains {
    return this.iopt.domains;
  }

  get iovaAlignment(): number {
    return this.iopt.iovaAlignment;
  }

  get areaCount(): number {
    return this.iopt.areaCount;
  }

  areas(): IterableIterator<IommufdArea> {
    return this.iopt.areas();
  }

  /** IOVA chosen or used by the last successful map/copy. */
  get lastIova(): number {
    return this.iopt.lastIova;
  }

  /** Bytes removed by the last unmap (also set when it failed part way). */
  get lastUnmappedBytes(): number {
    return this.iopt.lastUnmappedBytes;
  }

  /** IOMMU_IOAS_MAP with its flags (FIXED_IOVA, WRITEABLE, READABLE); the chosen IOVA goes to lastIova. */
  map(flags: number, iova: number, uptr: number, length: number): number {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.mapIoctls++;
    let rc: number;
    // iommufd_ioas_map
    if ((flags & ~MAP_FLAGS) !== 0) rc = this.iopt.no(EOPNOTSUPP, 'unknown IOMMU_IOAS_MAP flags');
    else if (iova >= U64_END || length >= U64_END) rc = this.iopt.no(EOVERFLOW, 'iova or length does not fit in 64 bits');
    else if ((flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) === 0)
      rc = this.iopt.no(EINVAL, 'neither READABLE nor WRITEABLE');
    else
      rc = this.iopt.mapUserPages(
        (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? iova : null,
        uptr,
        length,
        (flags & IOMMU_IOAS_MAP_READABLE) !== 0,
        (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0,
      );
    if (rc !== OK) this.mapFailures++;
    return this.end(rc);
  }

  mapFixed(iova: number, uptr: number, length: number, read = true, write = true): number {
    return this.map(IOMMU_IOAS_MAP_FIXED_IOVA | protFlags(read, write), iova, uptr, length);
  }

  mapAuto(uptr: number, length: number, read = true, write = true): number {
    return this.map(protFlags(read, write), 0, uptr, length);
  }

  /**
   * IOMMU_IOAS_COPY into this IOAS from `src` (which may be this IOAS): new areas over the
   * source's pages objects, so nothing is pinned or charged again. The destination IOVA goes to
   * lastIova.
   */
  copyFrom(src: IommufdIoas, flags: number, srcIova: number, length: number, dstIova: number): number {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.copyIoctls++;
    let rc: number;
    if ((flags & ~MAP_FLAGS) !== 0) rc = this.iopt.no(EOPNOTSUPP, 'unknown IOMMU_IOAS_COPY flags');
    else if (length >= U64_END || srcIova >= U64_END || dstIova >= U64_END)
      rc = this.iopt.no(EOVERFLOW, 'an address or length does not fit in 64 bits');
    else if ((flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) === 0)
      rc = this.iopt.no(EINVAL, 'neither READABLE nor WRITEABLE');
    else {
      const slices: PagesSlice[] = [];
      rc = src.iopt.getPages(srcIova, length, slices);
      if (rc !== OK) this.iopt.lastWhy = src.iopt.lastWhy;
      if (rc === OK) {
        const srcWindow = src.iopt.windows?.containing(srcIova, srcIova + length);
        rc = this.iopt.mapPages(
          slices,
          length,
          (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? dstIova : null,
          (flags & IOMMU_IOAS_MAP_READABLE) !== 0,
          (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0,
          srcWindow?.pageSize ?? null,
        );
      }
    }
    if (rc !== OK) this.mapFailures++;
    return this.end(rc);
  }

  /**
   * IOMMU_IOAS_UNMAP: (0, U64_MAX) unmaps everything and succeeds even when empty; otherwise the
   * range must cover whole areas and remove at least one (else -ENOENT). Bytes -> lastUnmappedBytes.
   */
  unmap(iova: number, length: number): number {
    this.begin(this.deps.costs.vfioUnmapIoctlNs);
    this.unmapIoctls++;
    let rc: number;
    if (iova === 0 && length === U64_END) {
      this.iopt.unmapAll();
      rc = OK;
    } else if (iova >= U64_END || length >= U64_END) {
      this.iopt.lastUnmappedBytes = 0;
      rc = this.iopt.no(EOVERFLOW, 'iova or length does not fit in 64 bits');
    } else {
      rc = this.iopt.unmapIova(iova, length);
      // iommufd_ioas_unmap: an empty range is -ENOENT here (the compat path takes it as success)
      if (rc === OK && this.iopt.lastUnmappedBytes === 0) rc = this.iopt.no(ENOENT, 'no area lies inside the range');
    }
    return this.end(rc);
  }

  unmapAll(): number {
    return this.unmap(0, U64_END);
  }

  /** Attaches a device whose IOMMU has `geometry` (see ioptAttachDevice for the order of errors). */
  attachDomain(geometry: IommuGeometry, device: string): number {
    this.begin(0);
    return this.end(ioptAttachDevice(this.iopt, geometry, device));
  }

  /** IOMMU_IOAS_IOVA_RANGES: the holes of the reserved ranges; -EMSGSIZE when more than `capacity`. */
  iovaRanges(capacity = Infinity): number {
    const holes = this.iopt.space.reservedHoles();
    this.lastIovaRangeCount = holes.length;
    this.lastIovaRanges = holes.length > capacity ? holes.slice(0, capacity) : holes;
    this.lastIovaAlignment = this.iopt.iovaAlignment;
    return holes.length > capacity ? EMSGSIZE : OK;
  }

  /**
   * IOMMU_IOAS_ALLOW_IOVAS (iommufd_ioas_load_iovas then iopt_set_allow_iova): start >= last or
   * a range overlapping an earlier one -EINVAL; any range on a reserved range -EADDRINUSE;
   * atomic. An empty list allows everything again.
   */
  allowIovas(ranges: readonly IommufdIovaRange[]): number {
    this.begin(0);
    const spans: IovaSpan[] = [];
    for (const r of ranges) {
      if (r.start >= r.last) return this.end(EINVAL);
      const end = Math.min(r.last + 1, U64_END);
      if (spans.some((s) => s.start < end && s.end > r.start)) return this.end(EINVAL);
      if (this.deps.faults.fail('alloc')) return this.end(ENOMEM);
      spans.push({ start: r.start, end });
    }
    return this.end(this.iopt.space.setAllowed(spans));
  }

  /** IOMMU_TEST_OP_ADD_RESERVED (selftest): iopt_reserve_iova of [start, start + length). */
  reserveIova(start: number, length: number): number {
    if (length === 0 || start + length > U64_END) return EINVAL;
    if (this.deps.faults.fail('alloc')) return ENOMEM;
    const rc = this.iopt.space.reserve(start, start + length, 'user');
    if (rc === OK) this.iopt.space.commitReserved();
    return rc;
  }

  /**
   * IOMMU_OPTION_HUGE_PAGES set: 0 = iopt_disable_large_pages (-EINVAL once a domain has areas;
   * alignment becomes at least PAGE_SIZE, -EADDRINUSE if an area is misaligned), 1 =
   * iopt_enable_large_pages (alignment falls back to the domains' smallest page).
   */
  setHugePages(enabled: boolean): number {
    return enabled ? this.iopt.enableLargePages() : this.iopt.disableLargePages();
  }

  /** IOMMU_OPTION_OP_SET of IOMMU_OPTION_HUGE_PAGES: val64 0 or 1, anything else -EINVAL. */
  setHugePagesOption(val64: number): number {
    if (val64 === 0) return this.setHugePages(false);
    if (val64 === 1) return this.setHugePages(true);
    return EINVAL;
  }

  get hugePages(): boolean {
    return !this.iopt.largePagesDisabled;
  }

  /** Window extension CREATE_WINDOW; null base/pageSize = chosen here. -EOPNOTSUPP when the extension is off. */
  createWindow(base: number | null, sizeBytes: number, pageSize: number | null): number {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.lastWindow = null;
    const windows = this.iopt.windows;
    if (windows === null) return this.end(EOPNOTSUPP);
    const domainPages = this.iopt.domains.list.map((d) => d.domain.minPageSize);
    const rc = windows.plan(base, sizeBytes, pageSize, domainPages, this.iopt.space.reservedUnion);
    if (rc !== OK) return this.end(rc);
    if (this.deps.faults.fail('alloc')) return this.end(ENOMEM);
    windows.add(windows.lastWindow!);
    this.lastWindow = windows.lastWindow;
    return this.end(OK);
  }

  /** Window extension REMOVE_WINDOW: unmaps (and unpins) the window's areas; -EINVAL if no window starts at `base`. */
  removeWindow(base: number): number {
    this.begin(this.deps.costs.vfioUnmapIoctlNs);
    this.iopt.lastUnmappedBytes = 0;
    const windows = this.iopt.windows;
    if (windows === null) return this.end(EOPNOTSUPP);
    const w = windows.byBase(base);
    if (w === undefined) return this.end(EINVAL);
    this.iopt.lastUnmappedBytes = this.iopt.removeAreasIn(w.base, w.end);
    windows.remove(w);
    return this.end(OK);
  }

  /** Starts a call: resets the cost accumulators with the call's fixed cost. */
  begin(fixedCostNs: number): void {
    this.iopt.lastWhy = null;
    this.iopt.costNs = fixedCostNs;
    this.iopt.domains.costNs = 0;
  }

  /** Ends a call: publishes its cost and returns `rc`. */
  end(rc: number): number {
    this.lastCostNs = this.iopt.costNs + this.iopt.domains.costNs;
    return rc;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'iommufd.mapIoctls', this.mapIoctls);
    addMetric(into, 'iommufd.unmapIoctls', this.unmapIoctls);
    addMetric(into, 'iommufd.copyIoctls', this.copyIoctls);
    addMetric(into, 'iommufd.mapFailures', this.mapFailures);
    maxMetric(into, 'iommufd.areasPeak', this.iopt.areasPeak);
  }

  /** Model state (not metric counters or last* outputs), deterministic. */
  snapshot(): unknown {
    return { id: this.id, name: this.name, ...ioptSnapshot(this.iopt) };
  }

  checkInvariants(): string[] {
    return ioptInvariants(this.iopt, `IOAS ${this.name}`);
  }
}
