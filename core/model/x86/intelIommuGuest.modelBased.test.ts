import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DmaCall } from '../base/dmaCall';
import { IntelIommuGuestDriver } from './intelIommuGuest';
import { GUEST_RAM_HVA_BASE } from '../qemu/qemuVm';
import { type VfioType1Container } from '../vfio/vfioType1';
import { VtdPageTable } from './vtdPageTable';
import { hostSide } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;
const MiB = 1024 * KiB;
const SLOT = 4 * MiB;
const BASE = 1024 * MiB;

interface Mapping {
  iova: number;
  size: number;
  gpa: number;
}

interface Model {
  live: Mapping[];
  /** Unmapped in the guest, not yet invalidated. */
  pending: Mapping[];
}

interface Real {
  driver: IntelIommuGuestDriver;
  container: VfioType1Container;
  call: DmaCall;
}

/** The leaves Linux writes for a mapping (greedy largest aligned page), as [iova, size, gpa]. */
function refLeaves(m: Mapping): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let p = m.iova, g = m.gpa, rem = m.size; rem > 0;) {
    const s = [1024 * MiB, 2 * MiB, 4 * KiB].find((x) => rem >= x && p % x === 0 && g % x === 0)!;
    out.push([p, s, g]);
    p += s;
    g += s;
    rem -= s;
  }
  return out;
}

function hostMappings(c: VfioType1Container): [number, number, number][] {
  const snap = c.snapshot() as { mappings: { iova: number; sizeBytes: number; vaddr: number }[] };
  return snap.mappings.map((m) => [m.iova, m.sizeBytes, m.vaddr - GUEST_RAM_HVA_BASE]);
}

function overlaps(a: Mapping, b: Mapping): boolean {
  return a.iova < b.iova + b.size && b.iova < a.iova + a.size;
}

function checkCommon(m: Model, r: Real): void {
  expect(r.driver.checkInvariants()).toEqual([]);
  expect(r.container.checkInvariants()).toEqual([]);
  const want = m.live.flatMap(refLeaves).sort((a, b) => a[0] - b[0]);
  expect(r.driver.table.leafList().map((l) => [l.start, l.last - l.start + 1, l.gpa])).toEqual(want);
  // Every live leaf is in the host exactly as the guest maps it.
  const host = new Map(hostMappings(r.container).map((h) => [h[0], h]));
  for (const leaf of want) expect(host.get(leaf[0])).toEqual(leaf);
}

class MapCmd implements fc.Command<Model, Real> {
  constructor(
    readonly slot: number,
    readonly offsetPages: number,
    readonly pages: number,
    readonly gpaAligned: boolean,
  ) {}
  private get mapping(): Mapping {
    const iova = BASE + this.slot * SLOT + this.offsetPages * 4 * KiB;
    const gpa = (this.gpaAligned ? 64 * MiB : 64 * MiB + 4 * KiB) + this.slot * SLOT + this.offsetPages * 4 * KiB;
    return { iova, size: this.pages * 4 * KiB, gpa };
  }
  check(m: Readonly<Model>): boolean {
    const n = this.mapping;
    return ![...m.live, ...m.pending].some((x) => overlaps(x, n));
  }
  run(m: Model, r: Real): void {
    const n = this.mapping;
    r.driver.map(r.call.begin(0), n.iova, n.gpa, n.size, true);
    expect(r.call.errno).toBe(0);
    m.live.push(n);
    checkCommon(m, r);
  }
  toString(): string {
    return `map(${this.slot},${this.offsetPages},${this.pages},${this.gpaAligned})`;
  }
}

class UnmapCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return m.live.length > 0;
  }
  run(m: Model, r: Real): void {
    const [n] = m.live.splice(this.pick % m.live.length, 1);
    r.driver.unmap(r.call.begin(0), n!.iova, n!.size);
    m.pending.push(n!);
    checkCommon(m, r);
  }
  toString(): string {
    return `unmap(${this.pick})`;
  }
}

class SyncCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return m.pending.length > 0;
  }
  run(m: Model, r: Real): void {
    const [n] = m.pending.splice(this.pick % m.pending.length, 1);
    r.driver.iotlbSync(r.call.begin(0), n!.iova, n!.size);
    checkCommon(m, r);
    // QEMU unmapped every leaf of the invalidated range.
    for (const h of hostMappings(r.container)) expect(overlaps({ iova: h[0], size: h[1], gpa: 0 }, n!)).toBe(false);
  }
  toString(): string {
    return `sync(${this.pick})`;
  }
}

class FlushCmd implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.driver.flushIotlbAll(r.call.begin(0));
    m.pending = [];
    checkCommon(m, r);
    // After a domain-selective walk the host holds exactly the live leaves.
    const want = m.live.flatMap(refLeaves).sort((a, b) => a[0] - b[0]);
    expect(hostMappings(r.container)).toEqual(want);
    expect(r.driver.shadow.staleLeaves).toBe(0);
  }
  toString(): string {
    return 'flush';
  }
}

function setup(): Real {
  const { costs, timeline, qemu, container } = hostSide({ backing: 'thp' });
  const driver = new IntelIommuGuestDriver({
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { cachingMode: true, awBits: 48, superpages: '2m+1g' },
  });
  return { driver, container, call: new DmaCall(0) };
}

const commands = [
  fc
    .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 600 }), fc.constantFrom(1, 2, 3, 16, 512, 520), fc.boolean())
    .map(([s, o, p, a]) => new MapCmd(s, a && p >= 512 ? 512 * Math.floor(o / 512) : o % 512, p, a)),
  fc.nat().map((i) => new UnmapCmd(i)),
  fc.nat().map((i) => new SyncCmd(i)),
  fc.constant(new FlushCmd()),
];

describe('intel-iommu shadowing against a reference model (leaves, host mappings, invalidations)', () => {
  it('guest leaves, QEMU shadow and the VFIO container agree after every step', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
        fc.modelRun(() => ({ model: { live: [], pending: [] }, real: setup() }), cmds);
      }),
      { numRuns: 60 },
    );
  });
});

/** Brute force: every entry of every existing table (root included) overlapping [start, end). */
function bruteForcePtes(table: VtdPageTable, start: number, end: number): number {
  const snap = table.snapshot() as { tables: number[][] };
  let n = 0;
  const count = (base: number, entry: number) => {
    for (let i = 0; i < 512; i++) if (base + i * entry < end && base + (i + 1) * entry > start) n++;
  };
  count(0, 2 ** (12 + 9 * (table.levels - 1)));
  for (let l = 1; l < table.levels; l++) {
    for (const t of snap.tables[l]!) count(t * 2 ** (12 + 9 * l), 2 ** (12 + 9 * (l - 1)));
  }
  return n;
}

describe('intel-iommu page walk cost', () => {
  it('the PTEs a walk visits equal a brute-force count over the existing tables', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4095 }), fc.constantFrom(1, 16, 512)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 27 - 1 }),
        fc.integer({ min: 1, max: 2 ** 20 }),
        (maps, startPage, pages) => {
          const table = new VtdPageTable(39, '2m', () => {});
          for (const [slot, n] of maps) {
            const iova = slot * 2 * MiB * 3;
            if (table.leafAt(iova) !== undefined || table.leavesIn(iova, iova + n * 4096 - 1) > 0) continue;
            table.planMap(iova, iova, n * 4096);
            table.writeRun(iova, iova, n * 4096, true);
          }
          const start = startPage * 4096;
          const end = Math.min(2 ** 39, start + pages * 4096);
          expect(table.ptesVisited(start, end)).toBe(bruteForcePtes(table, start, end));
          expect(table.ptesVisited(0, 2 ** 39)).toBe(bruteForcePtes(table, 0, 2 ** 39));
        },
      ),
      { numRuns: 200 },
    );
  });
});
