// The state and invariants of one io_pagetable, for snapshots (fail-nth sweeps compare them
// before and after a failed call) and invariant checks after every step: areas never overlap
// each other or a reserved range and keep the IOVA alignment, each area is mapped in every domain
// and holds pins exactly when a domain exists, each domain's live PTEs add up from its areas, the
// hole index is the free IOVA space, and windows neither overlap nor lie on a reserved range.
// Must not: change the page table.

import { isAligned } from '../base/pages';
import type { IoPagetable } from './ioPagetable';

/** The io_pagetable's model state (not counters or last* outputs), deterministic. */
export function ioptSnapshot(iopt: IoPagetable): Record<string, unknown> {
  return {
    iovaAlignment: iopt.iovaAlignment,
    largePagesDisabled: iopt.largePagesDisabled,
    areas: [...iopt.areas()].map((a) => [a.start, a.end, a.pages.id, a.startByte, a.read, a.write, a.holdsPins, [...a.ptes]]),
    reserved: iopt.space.reserved.map((r) => [r.start, r.end, r.owner]),
    allowed: iopt.space.allowed.map((r) => [r.start, r.end]),
    domains: iopt.domains.list.map((d) => ({ devices: [...d.devices], livePtes: d.domain.livePtes, geometry: d.domain.geometry })),
    windows: iopt.windows?.windows.map((w) => [w.base, w.end, w.pageSize]) ?? null,
  };
}

/** Every broken invariant of `iopt`, each message starting with `where`. */
export function ioptInvariants(iopt: IoPagetable, where: string): string[] {
  const out: string[] = [];
  let prevEnd = -1;
  const ptes = iopt.domains.list.map(() => 0);
  for (const a of iopt.areas()) {
    const at = `${where}: area [${a.start}, ${a.end})`;
    if (a.start < prevEnd) out.push(`${at} overlaps the area before it`);
    prevEnd = a.end;
    if (iopt.space.hitsReserved(a.start, a.end)) out.push(`${at} lies on a reserved range`);
    if (!isAligned(a.start, iopt.iovaAlignment) || !isAligned(a.end - a.start, iopt.iovaAlignment))
      out.push(`${at} is not aligned to ${iopt.iovaAlignment}`);
    if (a.ptes.length !== iopt.domains.count) out.push(`${at} is mapped in ${a.ptes.length} of ${iopt.domains.count} domains`);
    if (a.holdsPins !== iopt.domains.count > 0)
      out.push(`${at} ${a.holdsPins ? 'holds pins without a domain' : 'holds no pins under a domain'}`);
    a.ptes.forEach((n, i) => (ptes[i] = (ptes[i] ?? 0) + n));
    if (iopt.windows !== null && iopt.windows.fitting(a.start, a.end) === undefined)
      out.push(`${at} is not inside one window at its page size`);
  }
  iopt.domains.list.forEach((d, i) => {
    if (d.domain.livePtes !== ptes[i])
      out.push(`${where}: domain ${i} holds ${d.domain.livePtes} PTEs but its areas account for ${ptes[i]}`);
  });
  if (iopt.iovaAlignment !== iopt.requiredAlignment())
    out.push(`${where}: alignment ${iopt.iovaAlignment} should be ${iopt.requiredAlignment()}`);
  const free = iopt.space.freeSpans();
  const holes = iopt.space.holes.spans();
  if (free.length !== holes.length || free.some((f, i) => f.start !== holes[i]!.start || f.end !== holes[i]!.end)) {
    out.push(`${where}: the hole index differs from the free IOVA space`);
  }
  if (iopt.windows !== null) {
    const ws = iopt.windows.windows;
    ws.forEach((w, i) => {
      if (i > 0 && ws[i - 1]!.end > w.base) out.push(`${where}: windows at ${ws[i - 1]!.base} and ${w.base} overlap`);
      if (iopt.space.hitsReserved(w.base, w.end)) out.push(`${where}: window at ${w.base} lies on a reserved range`);
    });
  }
  return out;
}
