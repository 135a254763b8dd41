import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EEXIST, EINVAL, ENOMEM, ENOSPC } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess, type MemoryBacking } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG_ALL } from './vfioContainerApi';
import { VfioType1Container } from './vfioType1';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';

// Reference model: a plain array of mappings in pages, the type1 rules written as directly as
// possible, compared with the container after every command.

const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const P = PAGE_SIZE;
const IOVA_BASE = 0x4000_0000;
const VADDR_BASE = 0x7f00_0000_0000;
const LIMIT = 5;
const MEMLOCK_PAGES = 60;

interface RefMap {
  readonly start: number;
  readonly pages: number;
}

interface Model {
  readonly version: 1 | 2;
  maps: RefMap[];
  locked: number;
}

interface Real {
  readonly c: VfioType1Container;
  readonly process: HostProcess;
}

function checkAgainst(m: Model, r: Real): void {
  expect(r.c.checkInvariants()).toEqual([]);
  expect(r.c.entries).toBe(m.maps.length);
  expect(r.c.getInfo().dmaAvail).toBe(LIMIT - m.maps.length);
  expect(r.process.lockedPages).toBe(m.locked);
  const mappings = (r.c.snapshot() as { mappings: { iova: number; sizeBytes: number }[] }).mappings;
  const expected = [...m.maps].sort((a, b) => a.start - b.start).map((x) => ({ iova: IOVA_BASE + x.start * P, sizeBytes: x.pages * P }));
  expect(mappings.map((x) => ({ iova: x.iova, sizeBytes: x.sizeBytes }))).toEqual(expected);
}

class MapCommand implements fc.Command<Model, Real> {
  constructor(
    readonly start: number,
    readonly pages: number,
    readonly vpage: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const end = this.start + this.pages;
    let expected = 0;
    if (m.maps.some((x) => x.start < end && this.start < x.start + x.pages)) expected = EEXIST;
    else if (m.maps.length === LIMIT) expected = ENOSPC;
    else if (m.locked + this.pages > MEMLOCK_PAGES) expected = ENOMEM;
    const got = r.c.mapDma(IOVA_BASE + this.start * P, VADDR_BASE + this.vpage * P, this.pages * P, RW);
    expect(got).toBe(expected);
    if (expected === 0) {
      m.maps.push({ start: this.start, pages: this.pages });
      m.locked += this.pages;
    }
    checkAgainst(m, r);
  }
  toString(): string {
    return `map(${this.start}, ${this.pages}, v${this.vpage})`;
  }
}

class UnmapCommand implements fc.Command<Model, Real> {
  constructor(
    readonly start: number,
    readonly pages: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const end = this.start + this.pages;
    const sorted = [...m.maps].sort((a, b) => a.start - b.start);
    let expected = 0;
    let doomed: RefMap[] = [];
    if (m.version === 2) {
      const bisectsHead = sorted.some((x) => x.start < this.start && this.start < x.start + x.pages);
      const bisectsTail = sorted.some((x) => x.start < end && end < x.start + x.pages);
      if (bisectsHead || bisectsTail) expected = EINVAL;
      else doomed = sorted.filter((x) => x.start >= this.start && x.start < end);
    } else {
      const first = sorted.find((x) => x.start + x.pages > this.start && x.start < end);
      if (first !== undefined && first.start >= this.start) doomed = sorted.filter((x) => x.start >= this.start && x.start < end);
    }
    const got = r.c.unmapDma(IOVA_BASE + this.start * P, this.pages * P, 0);
    expect(got).toBe(expected);
    if (expected === 0) {
      expect(r.c.lastUnmappedBytes).toBe(doomed.reduce((s, x) => s + x.pages * P, 0));
      m.maps = m.maps.filter((x) => !doomed.includes(x));
      m.locked -= doomed.reduce((s, x) => s + x.pages, 0);
    }
    checkAgainst(m, r);
  }
  toString(): string {
    return `unmap(${this.start}, ${this.pages})`;
  }
}

class UnmapAllCommand implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    expect(r.c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(0);
    expect(r.c.lastUnmappedBytes).toBe(m.maps.reduce((s, x) => s + x.pages * P, 0));
    m.maps = [];
    m.locked = 0;
    checkAgainst(m, r);
  }
  toString(): string {
    return 'unmapAll';
  }
}

const commands = [
  fc
    .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 2048 }))
    .map(([s, n, v]) => new MapCommand(s, n, v)),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 16 })).map(([s, n]) => new UnmapCommand(s, n)),
  fc.constant(new UnmapAllCommand()),
];

describe('type1 container against a reference model (fast-check commands)', () => {
  it('maps, unmaps and unmap-all agree with the reference for v1 and v2, every backing, with and without disable_hugepages', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 2>(1, 2),
        fc.constantFrom<MemoryBacking>('4k', 'thp', 'hugepages-2m'),
        fc.boolean(),
        fc.commands(commands, { maxCommands: 40 }),
        (version, backing, disableHugepages, cmds) => {
          const setup = () => {
            const process = new HostProcess({ memlockBytes: MEMLOCK_PAGES * P, capIpcLock: false, backing, userAddressEnd: 2 ** 47 });
            const c = new VfioType1Container('c0', version, {
              process,
              costs: resolveCostTable(),
              faults: new FaultInjector(),
              dmaEntryLimit: LIMIT,
              disableHugepages,
              geometry: defaultIommuGeometry('x86_64'),
              irqRemapping: true,
              allowUnsafeInterrupts: false,
            });
            return { model: { version, maps: [], locked: 0 } as Model, real: { c, process } };
          };
          fc.modelRun(setup, cmds);
        },
      ),
      { numRuns: 200, seed: 20240601 },
    );
  });
});
