// The DMA-window extension of an IOAS (reference 001: David Gibson's proposal for PAPR-style
// IOVA windows in iommufd; docs/model.md#dma-window-extension). Not in Linux: on only when the
// scenario sets host.iommufd.dmaWindows. An IOAS holds zero or more windows {base, size, pageSize};
// MAP, UNMAP and COPY must stay inside one window, aligned to its page size; a new IOAS has none.
// Errno choices (the proposal names none): every refusal is -EINVAL, the errno iopt_check_iova
// gives an IOVA the IOAS cannot use (a reserved range) and VFIO type1 gives an IOVA outside its
// valid ranges; only "no room for an unplaced window" is -ENOSPC, like automatic IOVA.
// Compatibility (the proposal: "a pagesize that's a multiple of the hardware pagesize" is fine):
// a page size is compatible with a domain when it is a power of two and a multiple of the
// domain's smallest page; a window is compatible when it avoids every reserved range (which
// holds each domain's outside-aperture and each device's reserved regions).
// Must not: touch areas; the IOAS removes a window's mappings before removeWindow.

import { EINVAL, ENOSPC, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import { PAGE_SIZE, alignUp, isAligned } from '../base/pages';
import { wrapsU64, type IovaSpan } from './iommufdIovaSpan';
import { U64_END, isPowerOfTwo } from '../base/bits';
import type { IommufdIovaSpace } from './iommufdIovaSpace';

/** findFit's answer when no window's page size suits the length (-EINVAL, not -ENOSPC). */
export const NO_WINDOW_FITS = -2;

export interface IommufdWindow {
  readonly base: number;
  /** One past the last IOVA. */
  readonly end: number;
  readonly pageSize: number;
}

export class IommufdWindows {
  private list: IommufdWindow[] = [];
  /** The window planned by the last successful plan(). */
  lastWindow: IommufdWindow | null = null;

  get windows(): readonly IommufdWindow[] {
    return this.list;
  }

  /** The window holding all of [start, end), if any. */
  containing(start: number, end: number): IommufdWindow | undefined {
    for (const w of this.list) if (w.base <= start && end <= w.end) return w;
    return undefined;
  }

  /** A window that holds [start, end) with both ends aligned to its page size, if any. */
  fitting(start: number, end: number): IommufdWindow | undefined {
    const w = this.containing(start, end);
    return w !== undefined && isAligned(start, w.pageSize) && isAligned(end, w.pageSize) ? w : undefined;
  }

  byBase(base: number): IommufdWindow | undefined {
    return this.list.find((w) => w.base === base);
  }

  /**
   * CREATE_WINDOW's checks and allocation. `base`/`pageSize` null = let the kernel choose:
   * the page size becomes the largest smallest-page of the attached domains (at least
   * PAGE_SIZE), the base the lowest `pageSize`-aligned IOVA where the window avoids reserved
   * ranges and other windows. Puts the window in `lastWindow`; does not add it.
   */
  plan(
    base: number | null,
    sizeBytes: number,
    pageSize: number | null,
    domainPages: readonly number[],
    reserved: readonly IovaSpan[],
  ): number {
    this.lastWindow = null;
    if (sizeBytes === 0 || sizeBytes >= U64_END) return EINVAL;
    const page = pageSize ?? Math.max(PAGE_SIZE, ...domainPages);
    if (!isPowerOfTwo(page) || domainPages.some((d) => page % d !== 0)) return EINVAL;
    if (!isAligned(sizeBytes, page)) return EINVAL;
    let start: number;
    if (base !== null) {
      if (!isAligned(base, page) || wrapsU64(base, sizeBytes)) return EINVAL;
      const end = base + sizeBytes;
      if (reserved.some((r) => r.start < end && r.end > base) || this.list.some((w) => w.base < end && w.end > base)) return EINVAL;
      start = base;
    } else {
      const found = this.lowestFree(sizeBytes, page, reserved);
      if (found < 0) return ENOSPC;
      start = found;
    }
    this.lastWindow = { base: start, end: start + sizeBytes, pageSize: page };
    return OK;
  }

  /**
   * Automatic IOVA under the extension: the windows in base order whose page size divides the
   * length (and equals the source window's for a COPY), each intersected with the IOAS's
   * automatic-IOVA spans, searched first fit at max(alignment, page size). Returns the IOVA, -1
   * when nothing fits, or NO_WINDOW_FITS when no window can take this length at all.
   */
  findFit(space: IommufdIovaSpace, length: number, align: number, pageOffset: number, copyPageSize: number | null): number {
    let usable = false;
    for (const w of this.list) {
      if (!isAligned(length, w.pageSize) || (copyPageSize !== null && w.pageSize !== copyPageSize)) continue;
      usable = true;
      const spans: IovaSpan[] = [];
      for (const s of space.autoSpans()) {
        const start = Math.max(s.start, w.base);
        const end = Math.min(s.end, w.end);
        if (start < end) spans.push({ start, end });
      }
      const iova = space.findFit(spans, length, Math.max(align, w.pageSize), pageOffset);
      if (iova >= 0) return iova;
    }
    return usable ? -1 : NO_WINDOW_FITS;
  }

  add(w: IommufdWindow): void {
    this.list.push(w);
    this.list.sort((a, b) => a.base - b.base);
  }

  remove(w: IommufdWindow): void {
    this.list = this.list.filter((x) => x !== w);
  }

  /** ATTACH re-check: -EINVAL if a window cannot be kept with a domain of this geometry. */
  checkDomain(geometry: IommuGeometry): number {
    const minPage = geometry.pageSizes[0]!;
    const apertureEnd = geometry.apertureLast + 1;
    for (const w of this.list) {
      if (w.pageSize % minPage !== 0) return EINVAL;
      if (w.base < geometry.apertureStart || w.end > apertureEnd) return EINVAL;
      for (const r of geometry.reserved) if (r.start < w.end && r.last + 1 > w.base) return EINVAL;
    }
    return OK;
  }

  private lowestFree(sizeBytes: number, page: number, reserved: readonly IovaSpan[]): number {
    const used = [...reserved, ...this.list.map((w) => ({ start: w.base, end: w.end }))].sort((a, b) => a.start - b.start);
    let cur = 0;
    for (const u of used) {
      const cand = alignUp(cur, page);
      if (cand + sizeBytes <= u.start) return cand;
      if (u.end > cur) cur = u.end;
    }
    const cand = alignUp(cur, page);
    return cand + sizeBytes <= U64_END ? cand : -1;
  }
}
