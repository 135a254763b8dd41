// One iommufd IOAS as the ops and the VFIO compat layer use it: the mapping ioctls of
// IommufdIoasMapping plus the setup ioctls (device/domain attach = iopt_table_add_domain with the
// device's reserved regions, IOAS_ALLOW_IOVAS, IOAS_IOVA_RANGES, IOMMU_OPTION_HUGE_PAGES, the
// selftest's ADD_RESERVED, and the window extension's CREATE/REMOVE_WINDOW), its metrics, its
// snapshot and its invariants. Every setup call is all or nothing.
// Must not: hold state of other IOAS (the context does) or know op names.

import type { MetricMap } from '../../sim/metricSink';
import { addMetric, maxMetric } from '../../sim/metricSink';
import type { LayerInstance } from '../base/layerInstance';
import { EADDRINUSE, EINVAL, EMSGSIZE, ENOMEM, EOPNOTSUPP, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import { PAGE_SIZE, isAligned } from '../base/pages';
import { type IovaSpan } from './iommufdIovaSpan';
import { U64_END } from '../base/bits';
import { IommufdIoasMapping } from './iommufdIoasMapping';
import type { IommufdArea } from './iommufdPages';
import type { IommufdWindow } from './iommufdWindows';

/** One range of IOMMU_IOAS_ALLOW_IOVAS, inclusive as in struct iommu_iova_range. */
export interface IommufdIovaRange {
  readonly start: number;
  readonly last: number;
}

export class IommufdIoas extends IommufdIoasMapping implements LayerInstance {
  /** IOAS_IOVA_RANGES output: the first `capacity` ranges (half-open) and the real count. */
  lastIovaRanges: readonly IovaSpan[] = [];
  lastIovaRangeCount = 0;
  lastIovaAlignment = 1;
  /** The window created by the last createWindow. */
  lastWindow: IommufdWindow | null = null;

  /**
   * Attaches a device whose IOMMU has `geometry`: it joins an attached domain of the same
   * geometry (iommufd_device_auto_get_domain), else a new domain is allocated and added
   * (iopt_table_add_domain). Order and errors: -EINVAL if the device is attached already
   * (iommufd_hw_pagetable_attach); a new domain's allocation (-ENOMEM); the device's reserved
   * regions (iopt_table_enforce_dev_resv_regions: -EADDRINUSE over an area or allowed range);
   * new alignment = max(smallest domain page, current) > PAGE_SIZE -EINVAL, misaligned areas
   * -EADDRINUSE; the outside of the aperture reserved (-EADDRINUSE); then every area is pinned
   * (first domain only) and written into the domain (iopt_fill_domain: -EFAULT, -ENOMEM).
   * With windows on, first -EINVAL if a window cannot be kept with this geometry.
   */
  attachDomain(geometry: IommuGeometry, device: string): number {
    this.begin(0);
    return this.end(this.attachChecked(geometry, device));
  }

  private attachChecked(geometry: IommuGeometry, device: string): number {
    if (this.domains.indexOfDevice(device) >= 0) return EINVAL;
    if (this.windows !== null && this.windows.checkDomain(geometry) !== OK) return EINVAL;
    const reuse = this.domains.findCompatible(geometry);
    if (reuse < 0 && this.deps.faults.fail('alloc')) return ENOMEM;
    const deviceOwner = `device:${device}`;
    for (const r of geometry.reserved) {
      if (this.space.reserve(r.start, r.last + 1, deviceOwner) !== OK) {
        this.space.unreserve(deviceOwner);
        return EADDRINUSE;
      }
    }
    if (reuse >= 0) {
      this.domains.list[reuse]!.devices.push(device);
      this.space.commitReserved();
      return OK;
    }
    const rc = this.addDomain(geometry, device);
    if (rc !== OK) this.space.unreserve(deviceOwner);
    else this.space.commitReserved();
    return rc;
  }

  /** iopt_table_add_domain for a freshly allocated domain (device reservations already made). */
  private addDomain(geometry: IommuGeometry, device: string): number {
    const domain = this.domains.newDomain(geometry);
    const index = this.domains.count;
    const newAlignment = Math.max(domain.minPageSize, this.iovaAlignment);
    if (newAlignment > PAGE_SIZE) return EINVAL;
    if (newAlignment !== this.iovaAlignment && !this.areasAlignedTo(newAlignment)) return EADDRINUSE;
    const owner = `domain:${index}`;
    const apertureEnd = geometry.apertureLast + 1;
    if (
      (geometry.apertureStart !== 0 && this.space.reserve(0, geometry.apertureStart, owner) !== OK) ||
      (apertureEnd < U64_END && this.space.reserve(apertureEnd, U64_END, owner) !== OK)
    ) {
      this.space.unreserve(owner);
      return EADDRINUSE;
    }
    // iopt_fill_domain: the first domain makes every area pin its pages
    const pinning = index === 0;
    const done: IommufdArea[] = [];
    const ptes: number[] = [];
    for (const area of this.space.areas.values()) {
      let rc = pinning ? this.holdPins(area) : OK;
      if (rc === OK) {
        rc = this.domains.mapArea(domain, area, this.largePagesDisabled);
        if (rc !== OK && pinning) this.releasePins(area);
      }
      if (rc !== OK) {
        for (let i = 0; i < done.length; i++) {
          this.domains.costNs += domain.unmapPtes(ptes[i]!) + domain.iotlbSync();
          if (pinning) this.releasePins(done[i]!);
        }
        this.space.unreserve(owner);
        return rc;
      }
      done.push(area);
      ptes.push(this.domains.lastPtes);
    }
    // Commit: every area gains its PTE count in the new domain (a new exact-size list).
    for (let i = 0; i < done.length; i++) done[i]!.ptes = [...done[i]!.ptes, ptes[i]!];
    this.domains.push(domain, device);
    this.iovaAlignment = newAlignment;
    return OK;
  }

  /** IOMMU_IOAS_IOVA_RANGES: the holes of the reserved ranges; -EMSGSIZE when more than `capacity`. */
  iovaRanges(capacity = Infinity): number {
    const holes = this.space.reservedHoles();
    this.lastIovaRangeCount = holes.length;
    this.lastIovaRanges = holes.length > capacity ? holes.slice(0, capacity) : holes;
    this.lastIovaAlignment = this.iovaAlignment;
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
    return this.end(this.space.setAllowed(spans));
  }

  /** IOMMU_TEST_OP_ADD_RESERVED (selftest): iopt_reserve_iova of [start, start + length). */
  reserveIova(start: number, length: number): number {
    if (length === 0 || start + length > U64_END) return EINVAL;
    if (this.deps.faults.fail('alloc')) return ENOMEM;
    const rc = this.space.reserve(start, start + length, 'user');
    if (rc === OK) this.space.commitReserved();
    return rc;
  }

  /**
   * IOMMU_OPTION_HUGE_PAGES set: 0 = iopt_disable_large_pages (-EINVAL once a domain has areas;
   * alignment becomes at least PAGE_SIZE, -EADDRINUSE if an area is misaligned), 1 =
   * iopt_enable_large_pages (alignment falls back to the domains' smallest page).
   */
  setHugePages(enabled: boolean): number {
    if (enabled) {
      this.largePagesDisabled = false;
      this.iovaAlignment = this.requiredAlignment();
      return OK;
    }
    if (this.largePagesDisabled) return OK;
    if (this.domains.count > 0 && this.areaCount > 0) return EINVAL;
    this.largePagesDisabled = true;
    const next = this.requiredAlignment();
    if (next > this.iovaAlignment && !this.areasAlignedTo(next)) {
      this.largePagesDisabled = false;
      return EADDRINUSE;
    }
    this.iovaAlignment = next;
    return OK;
  }

  /** IOMMU_OPTION_OP_SET of IOMMU_OPTION_HUGE_PAGES: val64 0 or 1, anything else -EINVAL. */
  setHugePagesOption(val64: number): number {
    if (val64 === 0) return this.setHugePages(false);
    if (val64 === 1) return this.setHugePages(true);
    return EINVAL;
  }

  get hugePages(): boolean {
    return !this.largePagesDisabled;
  }

  /** iopt_calculate_iova_alignment: PAGE_SIZE with huge pages off, else 1; raised to every domain's smallest page. */
  requiredAlignment(): number {
    return Math.max(this.largePagesDisabled ? PAGE_SIZE : 1, this.domains.minPageAlignment());
  }

  /** Window extension CREATE_WINDOW; null base/pageSize = chosen here. -EOPNOTSUPP when the extension is off. */
  createWindow(base: number | null, sizeBytes: number, pageSize: number | null): number {
    this.begin(this.deps.costs.vfioMapIoctlNs);
    this.lastWindow = null;
    if (this.windows === null) return this.end(EOPNOTSUPP);
    const domainPages = this.domains.list.map((d) => d.domain.minPageSize);
    const rc = this.windows.plan(base, sizeBytes, pageSize, domainPages, this.space.reservedUnion);
    if (rc !== OK) return this.end(rc);
    if (this.deps.faults.fail('alloc')) return this.end(ENOMEM);
    this.windows.add(this.windows.lastWindow!);
    this.lastWindow = this.windows.lastWindow;
    return this.end(OK);
  }

  /** Window extension REMOVE_WINDOW: unmaps (and unpins) the window's areas; -EINVAL if no window starts at `base`. */
  removeWindow(base: number): number {
    this.begin(this.deps.costs.vfioUnmapIoctlNs);
    this.lastUnmappedBytes = 0;
    if (this.windows === null) return this.end(EOPNOTSUPP);
    const w = this.windows.byBase(base);
    if (w === undefined) return this.end(EINVAL);
    this.lastUnmappedBytes = this.removeAreasIn(w.base, w.end);
    this.windows.remove(w);
    return this.end(OK);
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'iommufd.mapIoctls', this.mapIoctls);
    addMetric(into, 'iommufd.unmapIoctls', this.unmapIoctls);
    addMetric(into, 'iommufd.copyIoctls', this.copyIoctls);
    addMetric(into, 'iommufd.mapFailures', this.mapFailures);
    maxMetric(into, 'iommufd.areasPeak', this.areasPeak);
  }

  /** Model state (not metric counters or last* outputs), deterministic. */
  snapshot(): unknown {
    return {
      id: this.id,
      name: this.name,
      iovaAlignment: this.iovaAlignment,
      largePagesDisabled: this.largePagesDisabled,
      areas: [...this.areas()].map((a) => [a.start, a.end, a.pages.id, a.startByte, a.read, a.write, a.holdsPins, [...a.ptes]]),
      reserved: this.space.reserved.map((r) => [r.start, r.end, r.owner]),
      allowed: this.space.allowed.map((r) => [r.start, r.end]),
      domains: this.domains.list.map((d) => ({ devices: [...d.devices], livePtes: d.domain.livePtes, geometry: d.domain.geometry })),
      windows: this.windows?.windows.map((w) => [w.base, w.end, w.pageSize]) ?? null,
    };
  }

  checkInvariants(): string[] {
    const out: string[] = [];
    const where = `IOAS ${this.name}`;
    let prevEnd = -1;
    const ptes = this.domains.list.map(() => 0);
    for (const a of this.areas()) {
      const at = `${where}: area [${a.start}, ${a.end})`;
      if (a.start < prevEnd) out.push(`${at} overlaps the area before it`);
      prevEnd = a.end;
      if (this.space.hitsReserved(a.start, a.end)) out.push(`${at} lies on a reserved range`);
      if (!isAligned(a.start, this.iovaAlignment) || !isAligned(a.end - a.start, this.iovaAlignment))
        out.push(`${at} is not aligned to ${this.iovaAlignment}`);
      if (a.ptes.length !== this.domains.count) out.push(`${at} is mapped in ${a.ptes.length} of ${this.domains.count} domains`);
      if (a.holdsPins !== this.domains.count > 0)
        out.push(`${at} ${a.holdsPins ? 'holds pins without a domain' : 'holds no pins under a domain'}`);
      a.ptes.forEach((n, i) => (ptes[i] = (ptes[i] ?? 0) + n));
      if (this.windows !== null && this.windows.fitting(a.start, a.end) === undefined)
        out.push(`${at} is not inside one window at its page size`);
    }
    this.domains.list.forEach((d, i) => {
      if (d.domain.livePtes !== ptes[i])
        out.push(`${where}: domain ${i} holds ${d.domain.livePtes} PTEs but its areas account for ${ptes[i]}`);
    });
    if (this.iovaAlignment !== this.requiredAlignment())
      out.push(`${where}: alignment ${this.iovaAlignment} should be ${this.requiredAlignment()}`);
    const free = this.space.freeSpans();
    const holes = this.space.holes.spans();
    if (free.length !== holes.length || free.some((f, i) => f.start !== holes[i]!.start || f.end !== holes[i]!.end)) {
      out.push(`${where}: the hole index differs from the free IOVA space`);
    }
    if (this.windows !== null) {
      const ws = this.windows.windows;
      ws.forEach((w, i) => {
        if (i > 0 && ws[i - 1]!.end > w.base) out.push(`${where}: windows at ${ws[i - 1]!.base} and ${w.base} overlap`);
        if (this.space.hitsReserved(w.base, w.end)) out.push(`${where}: window at ${w.base} lies on a reserved range`);
      });
    }
    return out;
  }
}
