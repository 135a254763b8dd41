// Model-based tests: random IOAS_MAP (fixed and automatic), IOAS_UNMAP, unmap-all and IOAS_COPY
// sequences on two IOAS of one context, against a reference written with plain arrays and
// brute-force searches. After every step the errno, the areas of both IOAS, their pages objects,
// the locked pages and every invariant must agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC, EPERM, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { lowestSetBit, U64_END } from '../base/bits';
import { IommufdContext } from './iommufdContext';
import { IommufdHoleIndex } from './iommufdHoleIndex';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, type IommufdIoas } from './iommufdIoas';

const P = PAGE_SIZE;
const APERTURE_PAGES = 64;
const RESERVED = { first: 20, end: 24 }; // pages [20, 24) reserved
const LIMIT_PAGES = 40;
const BUF = 0x7f00_0000_0000;
const GEOMETRY: IommuGeometry = {
  apertureStart: 0,
  apertureLast: APERTURE_PAGES * P - 1,
  pageSizes: [P],
  reserved: [{ start: RESERVED.first * P, last: RESERVED.end * P - 1, kind: 'reserved' }],
};

interface RefArea {
  start: number; // pages
  end: number;
  pagesId: number;
  firstPage: number; // index into the pages object
}
interface RefPages {
  id: number;
  uptrPage: number; // page number of the user address relative to BUF
  npages: number;
  writable: boolean;
}
interface Ref {
  areas: [RefArea[], RefArea[]];
  pages: Map<number, RefPages>;
  nextId: number;
}
interface Real {
  process: HostProcess;
  ctx: IommufdContext;
  ioas: [IommufdIoas, IommufdIoas];
}

function newReal(): Real {
  const process = new HostProcess({ memlockBytes: LIMIT_PAGES * P, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 });
  const ctx = new IommufdContext({
    process,
    costs: resolveCostTable(),
    faults: new FaultInjector(),
    dmaWindows: false,
    maxAutoAlignBytes: 2 * 1024 * 1024,
  });
  const a = ctx.ioasInstall('a');
  const b = ctx.ioasInstall('b');
  ctx.attach(a, 'da', GEOMETRY);
  ctx.attach(b, 'db', GEOMETRY);
  return { process, ctx, ioas: [a, b] };
}

function lockedPages(ref: Ref): number {
  const byPages = new Map<number, Set<number>>();
  for (const list of ref.areas)
    for (const a of list) {
      const set = byPages.get(a.pagesId) ?? new Set<number>();
      for (let i = 0; i < a.end - a.start; i++) set.add(a.firstPage + i);
      byPages.set(a.pagesId, set);
    }
  let n = 0;
  for (const s of byPages.values()) n += s.size;
  return n;
}

function unusable(ref: Ref, ioas: number, start: number, end: number): number {
  if (end > APERTURE_PAGES || (start < RESERVED.end && end > RESERVED.first)) return EINVAL;
  if (ref.areas[ioas]!.some((a) => a.start < end && a.end > start)) return EEXIST;
  return OK;
}

/** Lowest IOVA page >= 1 aligned to `alignPages` whose range is usable (brute force). */
function lowestFit(ref: Ref, ioas: number, len: number, alignPages: number): number {
  for (let a = alignPages; a + len <= APERTURE_PAGES; a += alignPages) if (unusable(ref, ioas, a, a + len) === OK) return a;
  return -1;
}

function autoAlignPages(uptrPage: number, len: number): number {
  let round = 1;
  while (round < len) round *= 2;
  const uptrBits = uptrPage === 0 ? Infinity : lowestSetBit(uptrPage);
  return Math.min(round, uptrBits);
}

function sortAreas(list: RefArea[]): void {
  list.sort((x, y) => x.start - y.start);
}

function compare(ref: Ref, real: Real, rc: number, expected: number): void {
  expect(rc).toBe(expected);
  for (let i = 0; i < 2; i++) {
    const got = [...real.ioas[i]!.areas()].map((a) => [a.start / P, a.end / P, a.pages.id, a.startByte / P]);
    expect(got).toEqual(ref.areas[i]!.map((a) => [a.start, a.end, a.pagesId, a.firstPage]));
  }
  expect(real.process.lockedPages).toBe(lockedPages(ref));
  expect(real.ctx.checkInvariants()).toEqual([]);
}

class MapCmd implements fc.Command<Ref, Real> {
  constructor(
    readonly ioas: number,
    readonly iova: number | null,
    readonly len: number,
    readonly uptrPage: number,
    readonly write: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(ref: Ref, real: Real): void {
    let expected: number;
    let at = -1;
    if (this.iova === null) {
      at = lowestFit(ref, this.ioas, this.len, autoAlignPages(this.uptrPage + BUF / P, this.len));
      expected = at < 0 ? ENOSPC : OK;
    } else {
      at = this.iova;
      expected = unusable(ref, this.ioas, at, at + this.len);
    }
    if (expected === OK && lockedPages(ref) + this.len > LIMIT_PAGES) expected = ENOMEM;
    const flags =
      IOMMU_IOAS_MAP_READABLE | (this.write ? IOMMU_IOAS_MAP_WRITEABLE : 0) | (this.iova === null ? 0 : IOMMU_IOAS_MAP_FIXED_IOVA);
    const rc = real.ioas[this.ioas]!.map(flags, (this.iova ?? 0) * P, BUF + this.uptrPage * P, this.len * P);
    if (expected === OK) {
      const id = ref.nextId++;
      ref.pages.set(id, { id, uptrPage: this.uptrPage, npages: this.len, writable: this.write });
      ref.areas[this.ioas]!.push({ start: at, end: at + this.len, pagesId: id, firstPage: 0 });
      sortAreas(ref.areas[this.ioas]!);
      expect(real.ioas[this.ioas]!.lastIova).toBe(at * P);
    }
    compare(ref, real, rc, expected);
  }
  toString(): string {
    return `map(${this.ioas}, ${this.iova ?? 'auto'}, ${this.len}, uptr+${this.uptrPage}, ${this.write ? 'rw' : 'r'})`;
  }
}

class UnmapCmd implements fc.Command<Ref, Real> {
  constructor(
    readonly ioas: number,
    readonly iova: number | null,
    readonly len: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(ref: Ref, real: Real): void {
    const list = ref.areas[this.ioas]!;
    let expected = OK;
    let bytes = 0;
    if (this.iova === null) {
      bytes = list.reduce((s, a) => s + a.end - a.start, 0);
      list.length = 0;
    } else {
      const start = this.iova;
      const end = start + this.len;
      for (const a of list.filter((x) => x.start < end && x.end > start)) {
        if (a.start < start || a.end > end) {
          expected = ENOENT;
          break;
        }
        bytes += a.end - a.start;
        list.splice(list.indexOf(a), 1);
      }
      if (expected === OK && bytes === 0) expected = ENOENT;
    }
    const rc = this.iova === null ? real.ioas[this.ioas]!.unmap(0, U64_END) : real.ioas[this.ioas]!.unmap(this.iova * P, this.len * P);
    if (rc === OK) expect(real.ioas[this.ioas]!.lastUnmappedBytes).toBe(bytes * P);
    compare(ref, real, rc, expected);
  }
  toString(): string {
    return this.iova === null ? `unmapAll(${this.ioas})` : `unmap(${this.ioas}, ${this.iova}, ${this.len})`;
  }
}

class CopyCmd implements fc.Command<Ref, Real> {
  constructor(
    readonly src: number,
    readonly dst: number,
    readonly srcIova: number,
    readonly len: number,
    readonly dstIova: number | null,
    readonly write: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(ref: Ref, real: Real): void {
    const slices: { pagesId: number; firstPage: number; len: number }[] = [];
    const end = this.srcIova + this.len;
    let cur = this.srcIova;
    let covered = false;
    for (;;) {
      const a = ref.areas[this.src]!.find((x) => x.start <= cur && cur < x.end);
      if (a === undefined) break;
      const sliceEnd = Math.min(end, a.end);
      slices.push({ pagesId: a.pagesId, firstPage: a.firstPage + (cur - a.start), len: sliceEnd - cur });
      if (sliceEnd >= end) {
        covered = true;
        break;
      }
      cur = sliceEnd;
    }
    let expected = covered ? OK : ENOENT;
    let at = -1;
    if (expected === OK) {
      if (this.dstIova === null) {
        const first = ref.pages.get(slices[0]!.pagesId)!;
        at = lowestFit(ref, this.dst, this.len, autoAlignPages(first.uptrPage + slices[0]!.firstPage + BUF / P, this.len));
        expected = at < 0 ? ENOSPC : OK;
      } else {
        at = this.dstIova;
        expected = unusable(ref, this.dst, at, at + this.len);
      }
    }
    if (expected === OK && this.write && slices.some((s) => !ref.pages.get(s.pagesId)!.writable)) expected = EPERM;
    const flags =
      IOMMU_IOAS_MAP_READABLE | (this.write ? IOMMU_IOAS_MAP_WRITEABLE : 0) | (this.dstIova === null ? 0 : IOMMU_IOAS_MAP_FIXED_IOVA);
    const rc = real.ioas[this.dst]!.copyFrom(real.ioas[this.src]!, flags, this.srcIova * P, this.len * P, (this.dstIova ?? 0) * P);
    if (expected === OK) {
      let pos = at;
      for (const s of slices) {
        ref.areas[this.dst]!.push({ start: pos, end: pos + s.len, pagesId: s.pagesId, firstPage: s.firstPage });
        pos += s.len;
      }
      sortAreas(ref.areas[this.dst]!);
    }
    compare(ref, real, rc, expected);
  }
  toString(): string {
    return `copy(${this.src}->${this.dst}, ${this.srcIova}, ${this.len}, ${this.dstIova ?? 'auto'}, ${this.write ? 'rw' : 'r'})`;
  }
}

const ioasIdx = fc.integer({ min: 0, max: 1 });
const page = fc.integer({ min: 0, max: APERTURE_PAGES + 2 });
const len = fc.integer({ min: 1, max: 12 });
const mapCommand = fc
  .tuple(ioasIdx, fc.option(page, { nil: null }), len, fc.integer({ min: 0, max: 15 }), fc.boolean())
  .map(([i, v, l, u, w]) => new MapCmd(i, v, l, u, w));
const commands = [
  mapCommand,
  mapCommand,
  fc.tuple(ioasIdx, fc.option(page, { nil: null, freq: 8 }), fc.integer({ min: 1, max: 24 })).map(([i, v, l]) => new UnmapCmd(i, v, l)),
  fc
    .tuple(ioasIdx, ioasIdx, page, len, fc.option(page, { nil: null }), fc.boolean())
    .map(([s, d, sv, l, dv, w]) => new CopyCmd(s, d, sv, l, dv, w)),
];

describe('iommufd IOAS against a reference model', () => {
  it('map, auto-map, unmap, unmap-all and copy agree with the reference after every step', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: 'max' }), (cmds) => {
        fc.modelRun(() => ({ model: { areas: [[], []], pages: new Map(), nextId: 1 } as Ref, real: newReal() }), cmds);
      }),
      { numRuns: 300, seed: 0x10aa5 },
    );
  });
});

describe('IommufdHoleIndex against a sorted list of free pages', () => {
  it('occupy/release/firstAfter/containing agree with brute force', () => {
    const N = 128;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: N - 1 }),
            fc.integer({ min: 1, max: 16 }),
            fc.integer({ min: 0, max: N }),
            fc.integer({ min: 1, max: 20 }),
          ),
          { maxLength: 200 },
        ),
        (steps) => {
          const idx = new IommufdHoleIndex();
          idx.reset([{ start: 0, end: N }]);
          const used = new Array<boolean>(N).fill(false);
          for (const [s, l, x, minLen] of steps) {
            const e = Math.min(N, s + l);
            const allFree = used.slice(s, e).every((u) => !u);
            const allUsed = used.slice(s, e).every((u) => u);
            if (allFree) {
              idx.occupy(s, e);
              used.fill(true, s, e);
            } else if (allUsed) {
              idx.release(s, e);
              used.fill(false, s, e);
            }
            // brute-force holes
            const holes: [number, number][] = [];
            for (let i = 0; i < N;) {
              if (used[i]) {
                i++;
                continue;
              }
              let j = i;
              while (j < N && !used[j]) j++;
              holes.push([i, j]);
              i = j;
            }
            expect(idx.spans().map((h) => [h.start, h.end])).toEqual(holes);
            const want = holes.find(([hs, he]) => hs > x && he - hs >= minLen);
            const got = idx.firstAfter(x, minLen);
            expect(got === null ? null : [got.start, got.end]).toEqual(want ?? null);
            const c = idx.containing(x);
            const wantC = holes.find(([hs, he]) => hs <= x && x < he);
            expect(c === null ? null : [c.start, c.end]).toEqual(wantC ?? null);
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
