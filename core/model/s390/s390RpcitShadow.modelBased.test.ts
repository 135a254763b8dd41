import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import { DmaCall } from '../base/dmaCall';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { GUEST_RAM_HVA_BASE, QemuVm } from '../qemu/qemuVm';
import { QemuS390PciShadow } from './s390RpcitShadow';
import { S390PciDmaCounts } from './s390PciDmaCount';
import { S390DmaWindow } from './s390DmaWindow';
import { ZpciFunction } from './s390Zpci';
import { ZpciDmaTable } from './s390ZpciDmaTable';
import { VFIO_DMA_MAP_FLAG_WRITE, type VfioContainerApi } from '../vfio/vfioContainerApi';
import { VfioType1Container } from '../vfio/vfioType1';

const GiB = 2 ** 30;
const PAGE = 4096;
const BASE = 4 * GiB;
const BASE_PAGE = BASE / PAGE;
/** Window of 8 segments; commands touch only some of them, so walks cross empty segments. */
const WINDOW_PAGES = 8 * 256;
const LIMIT = 40;

interface Entry {
  gpa: number;
  ro: boolean;
}

/**
 * The reference: rpcit_service_call written out page by page, as QEMU runs it (plus the guest
 * table as two maps). Obviously slow, obviously QEMU.
 */
class ReferenceModel {
  readonly guest = new Map<number, Entry>();
  readonly populated = new Set<number>();
  readonly cache = new Map<number, Entry>();
  readonly vfio = new Map<number, number>();
  readonly log: string[] = [];
  avail = LIMIT;
  lastCc = 0;

  /** coalesced: QEMU >= 8.0 (invalid runs unmapped in chunks); else one 4 KiB unmap per cached entry that became invalid. */
  constructor(readonly coalesced = true) {}

  write(page: number, n: number, gpaPage: number, ro: boolean): void {
    for (let i = 0; i < n; i++) {
      this.guest.set(page + i, { gpa: (gpaPage + i) * PAGE, ro });
      this.populated.add(Math.floor((page + i) / 256));
    }
  }

  clear(page: number, n: number): void {
    for (let i = 0; i < n; i++) this.guest.delete(page + i);
  }

  rpcit(start: number, end: number): void {
    let dmaAvail = this.avail;
    let again: boolean;
    do {
      again = false;
      let runStart = 0;
      let runLen = 0;
      const flush = () => {
        let p = runStart;
        let left = runLen;
        while (left > 0) {
          let align = 1;
          while (p !== 0 && p % (align * 2) === 0) align *= 2;
          if (p === 0) align = Infinity;
          let pow = 1;
          while (pow * 2 <= left) pow *= 2;
          const chunk = Math.min(align, pow);
          this.log.push(`unmap ${p} ${chunk}`);
          for (let q = p; q < p + chunk; q++) this.vfio.delete(q);
          p += chunk;
          left -= chunk;
        }
        runLen = 0;
      };
      for (let p = start; p < end; p++) {
        if (!this.populated.has(Math.floor(p / 256))) {
          flush();
          continue;
        }
        const e = this.guest.get(p);
        if (e === undefined) {
          if (this.coalesced) {
            if (runLen === 0) runStart = p;
            runLen++;
          }
          if (this.cache.delete(p)) {
            this.avail++;
            if (!this.coalesced) {
              this.log.push(`unmap ${p} 1`);
              this.vfio.delete(p);
            }
          }
          dmaAvail = this.avail;
          continue;
        }
        flush();
        if (dmaAvail <= 0) {
          again = true;
          continue;
        }
        const c = this.cache.get(p);
        if (c === undefined || c.gpa !== e.gpa || c.ro !== e.ro) {
          if (c !== undefined) {
            this.log.push(`unmap ${p} 1`);
            this.vfio.delete(p);
          }
          this.cache.set(p, { ...e });
          this.avail--;
          this.log.push(`map ${p} ${e.gpa / PAGE} ${e.ro ? 'ro' : 'rw'}`);
          this.vfio.set(p, e.gpa);
        }
        dmaAvail = this.avail;
      }
      flush();
    } while (again && dmaAvail > 0);
    this.lastCc = dmaAvail > 0 ? 0 : 1;
  }
}

interface Real {
  shadow: QemuS390PciShadow;
  table: ZpciDmaTable;
  zpci: ZpciFunction;
  container: VfioType1Container;
  log: string[];
  call: DmaCall;
}

function setup(coalescedUnmap = true): { model: ReferenceModel; real: Real } {
  const costs = resolveCostTable();
  const timeline = new TimelineRecorder();
  const container = new VfioType1Container('c0', 2, {
    process: new HostProcess({ memlockBytes: null, capIpcLock: false, backing: '4k', userAddressEnd: 2 ** 47 }),
    costs,
    faults: new FaultInjector(),
    dmaEntryLimit: LIMIT,
    disableHugepages: false,
    geometry: defaultIommuGeometry('s390x'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  const log: string[] = [];
  const recorded = new Proxy(container, {
    get(target, prop, receiver) {
      if (prop === 'mapDma') {
        return (iova: number, vaddr: number, size: number, flags: number) => {
          log.push(
            `map ${iova / PAGE - BASE_PAGE} ${(vaddr - GUEST_RAM_HVA_BASE) / PAGE} ${flags & VFIO_DMA_MAP_FLAG_WRITE ? 'rw' : 'ro'}`,
          );
          return target.mapDma(iova, vaddr, size, flags);
        };
      }
      // Call by call, so the log shows every map QEMU issues.
      if (prop === 'mapDmaRun' || prop === 'unmapDmaRun') return () => 0;
      if (prop === 'unmapDma') {
        return (iova: number, size: number, flags: number) => {
          log.push(`unmap ${iova / PAGE - BASE_PAGE} ${size / PAGE}`);
          return target.unmapDma(iova, size, flags);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  }) as VfioContainerApi;
  const qemu = new QemuVm(costs, timeline, { name: 'vm0', nested: false });
  const { count } = new S390PciDmaCounts().start(recorded);
  const table = new ZpciDmaTable();
  const shadow = new QemuS390PciShadow({ costs, qemu, container: recorded, table, count, coalescedUnmap });
  const window = new S390DmaWindow({
    sdma: BASE,
    restrictToDmaLimit: true,
    maxDmaLimit: WINDOW_PAGES,
    ramBytes: 8 * GiB,
    apertureFactor: 1,
  });
  const zpci = new ZpciFunction({ window, table, hypervisor: 'kvm', costs, timeline, laneName: 'viommu.f0', qemu, interceptor: shadow });
  return { model: new ReferenceModel(coalescedUnmap), real: { shadow, table, zpci, container, log, call: new DmaCall(0) } };
}

function compare(model: ReferenceModel, real: Real): void {
  expect(real.log).toEqual(model.log);
  expect(real.shadow.entries).toBe(model.cache.size);
  expect(real.shadow.dmaCount.avail).toBe(model.avail);
  for (const [page, e] of model.cache) expect(real.shadow.cachedGpa(BASE_PAGE + page)).toBe(e.gpa);
  expect(real.container.entries).toBe(model.vfio.size);
  expect([...real.shadow.checkInvariants(), ...real.table.checkInvariants(), ...real.container.checkInvariants()]).toEqual([]);
}

type Cmd = fc.Command<ReferenceModel, Real>;

class WriteCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly n: number,
    readonly gpaPage: number,
    readonly ro: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: ReferenceModel, r: Real): void {
    m.write(this.page, this.n, this.gpaPage, this.ro);
    r.table.validate(BASE_PAGE + this.page, this.gpaPage * PAGE, this.n, this.ro);
    compare(m, r);
  }
  toString(): string {
    return `write(${this.page}, ${this.n}, gpa ${this.gpaPage}${this.ro ? ', ro' : ''})`;
  }
}

class ClearCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly n: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: ReferenceModel, r: Real): void {
    m.clear(this.page, this.n);
    r.table.invalidate(BASE_PAGE + this.page, this.n);
    compare(m, r);
  }
  toString(): string {
    return `clear(${this.page}, ${this.n})`;
  }
}

class RpcitCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly n: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: ReferenceModel, r: Real): void {
    m.rpcit(this.page, this.page + this.n);
    r.zpci.refreshTrans(r.call.begin(r.call.t), BASE + this.page * PAGE, this.n * PAGE);
    expect(r.zpci.lastCc).toBe(m.lastCc);
    compare(m, r);
  }
  toString(): string {
    return this.n === WINDOW_PAGES ? 'rpcitGlobal()' : `rpcit(${this.page}, ${this.n})`;
  }
}

/** Pages in segments 0, 1, 2, 5 and 6 of the window (3, 4 and 7 stay empty unless a range spills). */
const pageArb = fc.oneof(fc.integer({ min: 0, max: 3 * 256 - 1 }), fc.integer({ min: 5 * 256, max: 7 * 256 - 1 }));
const lenArb = fc.integer({ min: 1, max: 24 });

function commandsOn(pages: fc.Arbitrary<number>) {
  return [
    fc.tuple(pages, lenArb, fc.integer({ min: 0, max: 4096 }), fc.boolean()).map(([p, n, g, ro]) => new WriteCmd(p, n, g, ro)),
    fc.tuple(pages, lenArb).map(([p, n]) => new ClearCmd(p, n)),
    fc.tuple(pages, fc.integer({ min: 1, max: 300 })).map(([p, n]) => new RpcitCmd(p, Math.min(n, WINDOW_PAGES - p))),
    fc.constant(new RpcitCmd(0, WINDOW_PAGES)),
  ];
}
const commands = commandsOn(pageArb);
/**
 * Pages of a few dozen around the start of the window and the end of segment 0: writes, clears and
 * refreshes overlap often, so cached entries become invalid (and new ones follow) within one walk.
 */
const densePageArb = fc.oneof(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 232, max: 279 }));

describe('QEMU RPCIT shadow against a page-by-page reference of rpcit_service_call', () => {
  it('same VFIO calls in the same order, same cache, dma_avail and condition codes; invariants after every step', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 300, seed: 4242 },
    );
  });

  it('before QEMU 8.0: the unmap of a cleared entry goes before the map of a new entry after it', () => {
    fc.modelRun(
      () => setup(false),
      [new WriteCmd(0, 4, 100, false), new RpcitCmd(0, 8), new ClearCmd(1, 2), new WriteCmd(6, 2, 300, false), new RpcitCmd(0, 8)],
    );
  });

  it('before QEMU 8.0 (coalescedUnmap off): one 4 KiB unmap per cached entry that became invalid, in walk order', () => {
    fc.assert(
      fc.property(fc.commands(commandsOn(densePageArb), { maxCommands: 60 }), (cmds) => {
        fc.modelRun(() => setup(false), cmds);
      }),
      { numRuns: 300, seed: 4243 },
    );
  });
});
