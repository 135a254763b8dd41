import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EBUSY, EINVAL, ENOENT, ENOSPC, ENXIO, EPERM, OK } from '../../base/errno';
import { HostProcess } from '../../host/hostProcess';
import { MmIommuMemList } from './mmIommuMemList';
import { SpaprTceContainer } from './spaprTceContainer';
import { spaprTableBytes, type SpaprPlatform } from './spaprTceWindows';
import { FaultInjector } from '../../../sim/faultInjector';
import { resolveCostTable } from '../../../sim/costTable';

// A small v2 PE: a 64 KiB default window (16 TCEs), a DDW at 2^59, 4 KiB host pages and backing.
const DDW = 2 ** 59;
const PLATFORM: SpaprPlatform = {
  tce32Start: 0,
  tce32SizeBytes: 0x10000,
  ddwStart: DDW,
  pageShifts: [12, 16],
  maxLevels: 5,
  maxWindows: 2,
  hostPageShift: 12,
  tce32PageShift: 12,
};
const REGIONS = [
  { ua: 0x10000, size: 0x8000 },
  { ua: 0x18000, size: 0x8000 },
  { ua: 0x14000, size: 0x8000 },
  { ua: 0x40000, size: 0x4000 },
];

interface RefWindow {
  start: number;
  pg: number;
  size: number;
  tablePages: number;
}
interface RefRegion {
  size: number;
  used: number;
  mapped: number;
}
/** The obvious model: a map from TCE bus address to the vaddr it points at. */
interface Model {
  enabled: boolean;
  mmSet: boolean;
  pending: boolean;
  windows: (RefWindow | null)[];
  tces: Map<number, number>;
  regions: Map<number, RefRegion>;
  prereg: Set<number>;
}
interface Real {
  c: SpaprTceContainer;
  mm: MmIommuMemList;
  proc: HostProcess;
}

const regionOf = (m: Model, va: number): number | undefined => [...m.regions].find(([ua, r]) => ua <= va && va < ua + r.size)?.[0];
const windowOf = (m: Model, a: number): RefWindow | undefined =>
  m.windows.find((w) => w !== null && a >= w.start && a < w.start + w.size) ?? undefined;

function newWindow(slot: number, shift: number, size: number): RefWindow {
  return { start: slot === 0 ? 0 : DDW, pg: 2 ** shift, size, tablePages: spaprTableBytes(shift, size, 1, 5, 12) / 4096 };
}

/** Creates the pending default window; returns an undo for a call that then fails. */
function createDefault(m: Model): () => void {
  if (!m.pending) return () => undefined;
  m.pending = false;
  m.windows[0] = newWindow(0, 12, 0x10000);
  return () => {
    m.pending = true;
    m.windows[0] = null;
  };
}

function clearTces(m: Model, w: RefWindow, first: number, bytes: number): number {
  let n = 0;
  for (let a = first; a < first + bytes; a += w.pg) {
    const va = m.tces.get(a);
    if (va === undefined) continue;
    m.regions.get(regionOf(m, va)!)!.mapped--;
    m.tces.delete(a);
    n++;
  }
  return n;
}

function check(m: Model, r: Real): void {
  expect([...r.c.checkInvariants(), ...r.mm.checkInvariants()]).toEqual([]);
  const tces = new Map<number, number>();
  const snap = r.c.snapshot() as { windows: ({ pageShift: number; runs: { start: number; last: number; vaddr: number }[] } | null)[] };
  for (const w of snap.windows) {
    for (const run of w?.runs ?? [])
      for (let a = run.start; a <= run.last; a += 2 ** w!.pageShift) tces.set(a, run.vaddr + (a - run.start));
  }
  expect([...tces].sort((a, b) => a[0] - b[0])).toEqual([...m.tces].sort((a, b) => a[0] - b[0]));
  const regions = (r.mm.snapshot() as { ua: number; sizeBytes: number; used: number; mappedTces: number }[]).map((x) => [
    x.ua,
    x.sizeBytes,
    x.used,
    x.mappedTces,
  ]);
  expect(regions).toEqual([...m.regions].sort((a, b) => a[0] - b[0]).map(([ua, x]) => [ua, x.size, x.used, x.mapped]));
  const tablePages = m.windows.reduce((n, w) => n + (w?.tablePages ?? 0), 0);
  expect(r.proc.lockedPages).toBe([...m.regions.values()].reduce((n, x) => n + x.size / 4096, 0) + tablePages);
}

type Cmd = fc.Command<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => void): Cmd => ({
  check: () => true,
  run: (m, r) => {
    run(m, r);
    check(m, r);
  },
  toString: () => name,
});

const register = (i: number): Cmd =>
  cmd(`register(${i})`, (m, r) => {
    const { ua, size } = REGIONS[i]!;
    const same = m.regions.get(ua);
    let want: number = OK;
    if (same !== undefined && same.size === size) {
      if (m.prereg.has(ua)) want = EBUSY;
      else same.used++;
    } else if ([...m.regions].some(([u, x]) => u < ua + size && ua < u + x.size)) want = EINVAL;
    else m.regions.set(ua, { size, used: 1, mapped: 0 });
    if (want === OK) {
      m.prereg.add(ua);
      m.enabled = m.mmSet = true;
    }
    expect(r.c.registerMemory(ua, size)).toBe(want);
  });

const unregister = (i: number): Cmd =>
  cmd(`unregister(${i})`, (m, r) => {
    const { ua, size } = REGIONS[i]!;
    const reg = m.regions.get(ua);
    let want: number = OK;
    if (!m.mmSet) want = EPERM;
    else if (reg === undefined || reg.size !== size || !m.prereg.has(ua)) want = ENOENT;
    else {
      m.prereg.delete(ua);
      // The last reference frees the region unless TCEs use it; then it stays, orphaned.
      if (--reg.used === 0 && reg.mapped === 0) m.regions.delete(ua);
      else if (reg.used === 0) reg.used = 1;
    }
    expect(r.c.unregisterMemory(ua, size)).toBe(want);
  });

const createWindow = (shift: number, size: number): Cmd =>
  cmd(`createWindow(${shift}, ${size})`, (m, r) => {
    const undo = createDefault(m);
    const slot = m.windows.indexOf(null);
    let want: number = OK;
    if (slot < 0 || size < 2 ** shift) {
      // No free slot; or a window smaller than one TCE page (no table size).
      want = slot < 0 ? ENOSPC : EINVAL;
      undo();
    } else {
      m.windows[slot] = newWindow(slot, shift, size);
      m.mmSet = true;
    }
    expect(r.c.createWindow(shift, size, 1)).toBe(want);
    if (want === OK) expect(r.c.lastStartAddr).toBe(m.windows[slot]!.start);
  });

const removeWindow = (addr: number): Cmd =>
  cmd(`removeWindow(${addr})`, (m, r) => {
    let want: number = OK;
    const w = windowOf(m, addr);
    if (m.pending && addr === 0) m.pending = false;
    else if (w === undefined) want = EINVAL;
    else {
      clearTces(m, w, w.start, w.size);
      m.windows[m.windows.indexOf(w)] = null;
    }
    if (want === OK) m.mmSet = true;
    expect(r.c.removeWindow(addr)).toBe(want);
  });

/** MAP (vaddr given) or UNMAP (vaddr null) on the reference: the errno, and for UNMAP the bytes of live TCEs cleared. */
function tceCall(m: Model, iova: number, size: number, vaddr: number | null): { rc: number; bytes: number } {
  if (!m.enabled) return { rc: EPERM, bytes: 0 };
  const undo = createDefault(m);
  const fail = (rc: number) => {
    undo();
    return { rc, bytes: 0 };
  };
  const w = windowOf(m, iova);
  if (w === undefined) return fail(ENXIO);
  if (size % w.pg !== 0 || (vaddr ?? 0) % w.pg !== 0 || iova % w.pg !== 0 || iova + size > w.start + w.size) return fail(EINVAL);
  if (vaddr === null) return { rc: OK, bytes: clearTces(m, w, iova, size) * w.pg };
  for (let k = 0; k < size / w.pg; k++) {
    const ua = regionOf(m, vaddr + k * w.pg);
    // 4K backing: every region backs 4K pages only.
    if (ua === undefined || w.pg > 4096 || vaddr + (k + 1) * w.pg > ua + m.regions.get(ua)!.size) return fail(EINVAL);
  }
  clearTces(m, w, iova, size);
  for (let k = 0; k < size / w.pg; k++) {
    m.tces.set(iova + k * w.pg, vaddr + k * w.pg);
    m.regions.get(regionOf(m, vaddr + k * w.pg)!)!.mapped++;
  }
  return { rc: OK, bytes: 0 };
}

const map = (base: number, off: number, n: number, vaddr: number): Cmd =>
  cmd(`map(${base}+${off}p, ${n}p, ${vaddr})`, (m, r) => {
    expect(r.c.mapDma(base + off * 4096, vaddr, n * 4096, 3)).toBe(tceCall(m, base + off * 4096, n * 4096, vaddr).rc);
  });

const unmap = (base: number, off: number, n: number): Cmd =>
  cmd(`unmap(${base}+${off}p, ${n}p)`, (m, r) => {
    const want = tceCall(m, base + off * 4096, n * 4096, null);
    expect(r.c.unmapDma(base + off * 4096, n * 4096, 0)).toBe(want.rc);
    if (want.rc === OK) expect(r.c.lastUnmappedBytes).toBe(want.bytes);
  });

const base = fc.constantFrom(0, 0, 0, DDW, DDW, 0x100000);
const commands = [
  fc.integer({ min: 0, max: 3 }).map(register),
  fc.integer({ min: 0, max: 3 }).map(unregister),
  fc.tuple(fc.constantFrom(12, 16), fc.constantFrom(0x4000, 0x10000, 0x20000)).map(([s, z]) => createWindow(s, z)),
  fc.constantFrom(0, 0x8000, DDW, DDW + 0x4000, 0x100000).map(removeWindow),
  fc
    .tuple(base, fc.integer({ min: 0, max: 17 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 0x33 }))
    .map(([b, o, n, v]) => map(b, o, n, 0x10000 + v * 0x1000)),
  fc.tuple(base, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 8 })).map(([b, o, n]) => unmap(b, o, n)),
];

describe('SPAPR TCE v2 container against a per-TCE reference (fast-check model run)', () => {
  it('keeps TCEs, registered regions, windows, errnos and locked memory equal to the reference', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: 'max' }), (cmds) => {
        const setup = () => {
          const proc = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 });
          const faults = new FaultInjector();
          const mm = new MmIommuMemList(proc, faults, 12);
          const c = new SpaprTceContainer('spapr.p', 2, PLATFORM, proc, mm, faults, resolveCostTable());
          const model: Model = {
            enabled: false,
            mmSet: false,
            pending: true,
            windows: [null, null],
            tces: new Map(),
            regions: new Map(),
            prereg: new Set(),
          };
          return { model, real: { c, mm, proc } };
        };
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 200, seed: 5104 },
    );
  });
});
