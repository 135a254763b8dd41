import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DmaCall } from '../base/dmaCall';
import { GUEST_RAM_HVA_BASE } from '../qemu/qemuVm';
import { type VfioType1Container } from '../vfio/vfioType1';
import { VirtioIommuGuestDriver } from './virtioIommuGuest';
import { hostSide } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;
const SLOT = 256 * KiB;

interface Mapping {
  iova: number;
  size: number;
  gpa: number;
}

interface Model {
  live: Mapping[];
  /** Unmapped by the guest, UNMAP still queued. */
  queued: Mapping[];
}

interface Real {
  driver: VirtioIommuGuestDriver;
  container: VfioType1Container;
  call: DmaCall;
}

/** Host mappings as 4 KiB pages: iova page -> gpa page; every host mapping must be an aligned power of two. */
function hostPages(c: VfioType1Container): Map<number, number> {
  const snap = c.snapshot() as { mappings: { iova: number; sizeBytes: number; vaddr: number }[] };
  const pages = new Map<number, number>();
  for (const m of snap.mappings) {
    expect(Number.isInteger(Math.log2(m.sizeBytes))).toBe(true);
    expect(m.iova % m.sizeBytes).toBe(0);
    for (let o = 0; o < m.sizeBytes; o += 4096) pages.set(m.iova + o, m.vaddr - GUEST_RAM_HVA_BASE + o);
  }
  return pages;
}

function expectedPages(ms: readonly Mapping[]): Map<number, number> {
  const pages = new Map<number, number>();
  for (const m of ms) for (let o = 0; o < m.size; o += 4096) pages.set(m.iova + o, m.gpa + o);
  return pages;
}

function check(m: Model, r: Real): void {
  expect(r.driver.checkInvariants()).toEqual([]);
  expect(r.container.checkInvariants()).toEqual([]);
  // The host holds every live page as the guest maps it, and otherwise only pages whose UNMAP is
  // still queued (a full ring may have kicked part of an unmap through already).
  const host = hostPages(r.container);
  for (const [iova, gpa] of expectedPages(m.live)) expect(host.get(iova)).toBe(gpa);
  const allowed = expectedPages([...m.live, ...m.queued]);
  for (const [iova, gpa] of host) expect(allowed.get(iova)).toBe(gpa);
  if (m.queued.length === 0) expect(host.size).toBe(expectedPages(m.live).size);
  // One UNMAP per map_pages run of the mapping (the iommu core may have split it).
  expect(r.driver.queue.pendingUnmaps >= m.queued.length && (r.driver.queue.pendingUnmaps === 0) === (m.queued.length === 0)).toBe(true);
}

class MapCmd implements fc.Command<Model, Real> {
  constructor(
    readonly slot: number,
    readonly pages: number,
    readonly gpaOffsetPages: number,
  ) {}
  get mapping(): Mapping {
    return {
      iova: 0x100_0000 + this.slot * SLOT,
      size: this.pages * 4096,
      gpa: 0x4000_0000 + this.slot * SLOT + this.gpaOffsetPages * 4096,
    };
  }
  check(m: Readonly<Model>): boolean {
    const n = this.mapping;
    return ![...m.live, ...m.queued].some((x) => x.iova < n.iova + n.size && n.iova < x.iova + x.size);
  }
  run(m: Model, r: Real): void {
    r.driver.map(r.call.begin(0), this.mapping.iova, this.mapping.gpa, this.mapping.size, true);
    expect(r.call.errno).toBe(0);
    m.live.push(this.mapping);
    m.queued = []; // the map kicked: QEMU served every queued UNMAP
    check(m, r);
  }
  toString(): string {
    return `map(${this.slot},${this.pages},${this.gpaOffsetPages})`;
  }
}

class UnmapCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check(m: Readonly<Model>): boolean {
    return m.live.length > 0;
  }
  run(m: Model, r: Real): void {
    const [n] = m.live.splice(this.pick % m.live.length, 1);
    const kicksBefore = r.driver.kicks;
    r.driver.unmap(r.call.begin(0), n!.iova, n!.size);
    if (r.driver.kicks !== kicksBefore) m.queued = [];
    m.queued.push(n!);
    check(m, r);
  }
  toString(): string {
    return `unmap(${this.pick})`;
  }
}

class SyncCmd implements fc.Command<Model, Real> {
  constructor(readonly flush: boolean) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    if (this.flush) r.driver.flushIotlbAll(r.call.begin(0));
    else r.driver.iotlbSync(r.call.begin(0));
    m.queued = [];
    check(m, r);
  }
  toString(): string {
    return this.flush ? 'flush' : 'sync';
  }
}

function setup(queueSize: number): Real {
  const { costs, timeline, qemu, container } = hostSide();
  const driver = new VirtioIommuGuestDriver({
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { awBits: 39, deferredFlush: true, iotlbSyncMap: true, shadowOnFlush: false, requestQueueSize: queueSize },
  });
  return { driver, container, call: new DmaCall(0) };
}

const commands = [
  fc
    .tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 64 }))
    .map(([s, p, g]) => new MapCmd(s, p, g)),
  fc.nat().map((i) => new UnmapCmd(i)),
  fc.boolean().map((f) => new SyncCmd(f)),
];

describe('virtio-iommu against a reference model (guest mappings, queued UNMAPs, host pages)', () => {
  it('the host holds the live mappings and at most those whose UNMAP is queued, in aligned power-of-two chunks', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), fc.constantFrom(2, 4, 256), (cmds, queueSize) => {
        fc.modelRun(() => ({ model: { live: [], queued: [] }, real: setup(queueSize) }), cmds);
      }),
      { numRuns: 80 },
    );
  });
});
