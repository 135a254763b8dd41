import { describe, it, expect } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import type { MetricMap } from '../../sim/metricSink';
import { DmaCall } from '../base/dmaCall';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { GUEST_RAM_HVA_BASE, QemuVm } from '../qemu/qemuVm';
import { QemuS390PciShadow } from './s390RpcitShadow';
import { S390PciDmaCounts } from './s390PciDmaCount';
import { S390DmaWindow } from './s390DmaWindow';
import { ZpciFunction } from './s390Zpci';
import { ZpciDmaTable } from './s390ZpciDmaTable';
import { VFIO_DMA_MAP_FLAG_WRITE, type VfioContainerApi, type VfioIommuInfo } from '../vfio/vfioContainerApi';
import { VfioType1Container } from '../vfio/vfioType1';

const GiB = 2 ** 30;
const PAGE = 4096;
const BASE = 4 * GiB;

/** Delegates to a real container and records every ioctl QEMU issues. */
class RecordingContainer implements VfioContainerApi {
  readonly log: string[] = [];
  costSumNs = 0;
  constructor(readonly inner: VfioContainerApi) {}
  get laneName(): string {
    return this.inner.laneName;
  }
  get lastUnmappedBytes(): number {
    return this.inner.lastUnmappedBytes;
  }
  get lastCostNs(): number {
    return this.inner.lastCostNs;
  }
  get entries(): number {
    return this.inner.entries;
  }
  translates(iova: number, size: number): boolean {
    return this.inner.translates(iova, size);
  }
  mapDma(iova: number, vaddr: number, size: number, flags: number): number {
    const rc = this.inner.mapDma(iova, vaddr, size, flags);
    this.costSumNs += this.inner.lastCostNs;
    this.log.push(
      `map ${(iova - BASE) / PAGE} ${size / PAGE} ${(vaddr - GUEST_RAM_HVA_BASE) / PAGE} ${flags & VFIO_DMA_MAP_FLAG_WRITE ? 'rw' : 'ro'}${rc ? ` rc${rc}` : ''}`,
    );
    return rc;
  }
  /** Call by call, so the log shows every map QEMU issues. */
  mapDmaRun(): number {
    return 0;
  }
  unmapDmaRun(): number {
    return 0;
  }
  unmapDma(iova: number, size: number, flags: number): number {
    const rc = this.inner.unmapDma(iova, size, flags);
    this.costSumNs += this.inner.lastCostNs;
    this.log.push(`unmap ${(iova - BASE) / PAGE} ${size / PAGE}`);
    return rc;
  }
  getInfo(): VfioIommuInfo {
    return this.inner.getInfo();
  }
  attachDevice(name: string): number {
    return this.inner.attachDevice(name);
  }
  collectMetrics(into: MetricMap): void {
    this.inner.collectMetrics(into);
  }
  snapshot(): unknown {
    return this.inner.snapshot();
  }
  checkInvariants(): string[] {
    return this.inner.checkInvariants();
  }
}

function rig(o: { limit?: number; memlockPages?: number; secondPass?: boolean; coalescedUnmap?: boolean } = {}) {
  const costs = resolveCostTable();
  const timeline = new TimelineRecorder();
  const process = new HostProcess({
    memlockBytes: o.memlockPages === undefined ? null : o.memlockPages * PAGE,
    capIpcLock: false,
    backing: '4k',
    userAddressEnd: 2 ** 47,
  });
  const type1 = new VfioType1Container('c0', 2, {
    process,
    costs,
    faults: new FaultInjector(),
    dmaEntryLimit: o.limit ?? 65535,
    disableHugepages: false,
    geometry: defaultIommuGeometry('s390x'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  const container = new RecordingContainer(type1);
  const qemu = new QemuVm(costs, timeline, { name: 'vm0', nested: false });
  const counts = new S390PciDmaCounts();
  const { count } = counts.start(container);
  const table = new ZpciDmaTable();
  const shadow = new QemuS390PciShadow({
    costs,
    qemu,
    container,
    table,
    count,
    secondPass: o.secondPass,
    coalescedUnmap: o.coalescedUnmap,
  });
  const window = new S390DmaWindow({ sdma: BASE, restrictToDmaLimit: false, maxDmaLimit: 0, ramBytes: 8 * GiB, apertureFactor: 1 });
  const zpci = new ZpciFunction({ window, table, hypervisor: 'kvm', costs, timeline, laneName: 'viommu.f0', qemu, interceptor: shadow });
  const call = new DmaCall(0);
  /** Guest writes `pages` entries from window page `page` (gpa page `gpaPage`). */
  const write = (page: number, pages: number, gpaPage: number, readonly = false) =>
    table.validate(BASE / PAGE + page, gpaPage * PAGE, pages, readonly);
  const clear = (page: number, pages: number) => table.invalidate(BASE / PAGE + page, pages);
  const rpcit = (page: number, pages: number) => zpci.refreshTrans(call.begin(call.t), BASE + page * PAGE, pages * PAGE);
  const invariants = () => [...shadow.checkInvariants(), ...table.checkInvariants(), ...type1.checkInvariants()];
  return { costs, qemu, container, type1, counts, count, table, shadow, zpci, call, write, clear, rpcit, invariants, process };
}

describe('s390_pci_update_iotlb: each valid 4 KiB entry is shadowed with one VFIO map', () => {
  it('a new entry costs one 4 KiB VFIO map of its guest page and one unit of dma_avail', () => {
    const r = rig({ limit: 100 });
    r.write(0, 2, 50);
    expect(r.rpcit(0, 2)).toBe(0);
    expect(r.container.log).toEqual(['map 0 1 50 rw', 'map 1 1 51 rw']);
    expect(r.count.avail).toBe(98);
    expect(r.shadow.entries).toBe(2);
    expect(r.type1.entries).toBe(2);
    expect(r.invariants()).toEqual([]);
  });

  it('a protected (read-only) entry is mapped without VFIO_DMA_MAP_FLAG_WRITE', () => {
    const r = rig();
    r.write(0, 1, 7, true);
    r.rpcit(0, 1);
    expect(r.container.log).toEqual(['map 0 1 7 ro']);
  });

  it('an unchanged entry is left alone by the next RPCIT', () => {
    const r = rig({ limit: 100 });
    r.write(0, 2, 50);
    r.rpcit(0, 2);
    r.container.log.length = 0;
    expect(r.rpcit(0, 2)).toBe(0);
    expect(r.container.log).toEqual([]);
    expect(r.count.avail).toBe(98);
  });

  it('a changed entry is unmapped and mapped again, and QEMU counts one more unit used (its counter drifts)', () => {
    const r = rig({ limit: 100 });
    r.write(0, 1, 50);
    r.rpcit(0, 1);
    r.clear(0, 1);
    r.write(0, 1, 60);
    r.container.log.length = 0;
    r.rpcit(0, 1);
    expect(r.container.log).toEqual(['unmap 0 1', 'map 0 1 60 rw']);
    expect(r.shadow.entries).toBe(1);
    expect(r.type1.entries).toBe(1);
    expect(r.count.avail).toBe(98);
    expect(r.count.leaked).toBe(1);
    expect(r.shadow.remaps).toBe(1);
    expect(r.invariants()).toEqual([]);
  });
});

describe('s390_pci_batch_unmap: invalid entries leave the cache and are unmapped in coalesced power-of-two chunks', () => {
  it('a cached entry that became invalid gives its dma_avail unit back and is unmapped', () => {
    const r = rig({ limit: 100 });
    r.write(0, 4, 50);
    r.rpcit(0, 4);
    r.clear(0, 4);
    r.container.log.length = 0;
    expect(r.rpcit(0, 4)).toBe(0);
    expect(r.container.log).toEqual(['unmap 0 4']);
    expect(r.count.avail).toBe(100);
    expect(r.shadow.entries).toBe(0);
    expect(r.type1.entries).toBe(0);
  });

  it('a run of 3 invalid entries starting at an odd page becomes chunks of 1 and 2 pages', () => {
    const r = rig();
    r.write(0, 8, 50);
    r.rpcit(0, 8);
    r.clear(1, 3);
    r.container.log.length = 0;
    r.rpcit(0, 8);
    expect(r.container.log).toEqual(['unmap 1 1', 'unmap 2 2']);
    expect(r.shadow.unmapNotifies).toBe(2);
  });

  it('invalid entries are coalesced whether or not QEMU ever mapped them', () => {
    const r = rig();
    r.write(0, 1, 50);
    r.clear(0, 1);
    r.rpcit(0, 16);
    expect(r.container.log).toEqual(['unmap 0 16']);
  });

  it('a range in a segment the guest never populated causes no notification at all', () => {
    const r = rig();
    r.rpcit(1024, 16);
    expect(r.container.log).toEqual([]);
  });

  it('a run continues across adjacent populated segments and ends at an empty one', () => {
    const r = rig();
    for (const s of [0, 1, 3]) {
      r.write(s * 256, 1, 50);
      r.clear(s * 256, 1);
    }
    r.rpcit(0, 4 * 256);
    expect(r.container.log).toEqual(['unmap 0 512', 'unmap 768 256']);
  });

  it('a valid entry ends the run: the unmap is sent before the map that follows it', () => {
    const r = rig();
    r.write(0, 4, 50);
    r.clear(0, 2);
    r.rpcit(0, 4);
    expect(r.container.log).toEqual(['unmap 0 2', 'map 2 1 52 rw', 'map 3 1 53 rw']);
  });
});

describe('rpcit_service_call: maps only while dma_avail > 0, one more pass, then cc 1 status 16', () => {
  it('past the limit the remaining maps are skipped and RPCIT answers insufficient resources', () => {
    const r = rig({ limit: 8 });
    r.write(0, 10, 50);
    r.call.begin(0);
    expect(r.rpcit(0, 10)).toBe(12); // ENOMEM
    expect(r.zpci.lastCc).toBe(1);
    expect(r.zpci.lastStatus).toBe(16);
    expect(r.shadow.entries).toBe(8);
    expect(r.type1.entries).toBe(8);
    expect(r.shadow.cachedGpa(BASE / PAGE + 8)).toBeNull();
    expect(r.count.avail).toBe(0);
    expect(r.invariants()).toEqual([]);
  });

  it('using the last free slot already answers cc 1: QEMU checks dma_avail > 0 at the end, not whether a map was skipped', () => {
    const r = rig({ limit: 8 });
    r.write(0, 8, 50);
    expect(r.rpcit(0, 8)).toBe(12);
    expect(r.shadow.entries).toBe(8);
    expect(r.shadow.retryPasses).toBe(0);
  });

  it('with dma_avail at 0 even an unchanged entry counts as skipped: a slot freed later in the walk causes a second pass', () => {
    const r = rig({ limit: 3 });
    r.write(0, 2, 50);
    r.write(5, 1, 60);
    r.rpcit(0, 6);
    expect(r.count.avail).toBe(0);
    r.clear(5, 1);
    r.container.log.length = 0;
    expect(r.rpcit(0, 6)).toBe(0);
    expect(r.shadow.retryPasses).toBe(1);
    // Pages 0 and 1 need nothing either time; the invalid run [2, 6) is unmapped in both passes.
    expect(r.container.log).toEqual(['unmap 2 2', 'unmap 4 2', 'unmap 2 2', 'unmap 4 2']);
    expect(r.shadow.entries).toBe(2);
  });

  it('unmaps later in the walk free slots, and one more pass maps what was skipped (cc 0), re-sending the unmaps', () => {
    const r = rig({ limit: 8 });
    r.write(8, 8, 50);
    r.rpcit(8, 8);
    // The guest frees [8, 16) lazily and maps [0, 4) below it; one RPCIT covers both.
    r.clear(8, 8);
    r.write(0, 4, 70);
    r.container.log.length = 0;
    expect(r.rpcit(0, 16)).toBe(0);
    expect(r.shadow.retryPasses).toBe(1);
    // Pass 1: [0, 4) skipped, the invalid run [4, 16) unmapped as chunks 4 + 8. Pass 2 maps [0, 4)
    // and walks the same invalid run again, so its notifications go out twice.
    expect(r.container.log).toEqual([
      'unmap 4 4',
      'unmap 8 8',
      'map 0 1 70 rw',
      'map 1 1 71 rw',
      'map 2 1 72 rw',
      'map 3 1 73 rw',
      'unmap 4 4',
      'unmap 8 8',
    ]);
    expect(r.count.avail).toBe(4);
    expect(r.invariants()).toEqual([]);
  });

  it('the walk costs qemuPteWalkNs per table entry read and one IOTLB lookup per 4 KiB, plus the VFIO ioctls, on top of the trap', () => {
    const r = rig({ limit: 8 });
    r.write(0, 4, 50);
    r.rpcit(0, 4);
    expect(r.qemu.trapBusyNs).toBe(
      r.costs.qemuInvalidationNs + 4 * (r.costs.qemuPteWalkNs + r.costs.qemuS390IotlbLookupNs) + r.container.costSumNs,
    );
    expect(r.shadow.pteWalks).toBe(4);
    expect(r.shadow.iotlbLookups).toBe(4);
  });

  it('an empty 2 GiB region is one table entry but QEMU still looks up every 4 KiB of it', () => {
    const r = rig();
    const regionPages = (2 * GiB) / PAGE;
    r.rpcit(0, regionPages);
    expect(r.shadow.pteWalks).toBe(1);
    expect(r.shadow.iotlbLookups).toBe(regionPages);
    expect(r.qemu.trapBusyNs).toBe(r.costs.qemuInvalidationNs + r.costs.qemuPteWalkNs + regionPages * r.costs.qemuS390IotlbLookupNs);
  });
});

describe('dma_avail is one counter per VFIO container (s390_pci_start_dma_count)', () => {
  it('starts at GET_INFO dma_avail; a second function joins the same counter and gets no max_dma_limit', () => {
    const r = rig({ limit: 50 });
    expect(r.count.initial).toBe(50);
    const second = r.counts.start(r.container);
    expect(second.count).toBe(r.count);
    expect(second.maxDmaLimit).toBe(0);
    expect(r.count.users).toBe(2);
  });

  it('two functions on one container share dma_avail', () => {
    const r = rig({ limit: 4 });
    const other = new QemuS390PciShadow({
      costs: r.costs,
      qemu: r.qemu,
      container: r.container,
      table: new ZpciDmaTable(),
      count: r.counts.start(r.container).count,
    });
    r.write(0, 3, 50);
    r.rpcit(0, 3);
    expect(other.entriesInUse).toBe(3);
    expect(r.count.avail).toBe(1);
  });

  it('a container without DMA_AVAIL means no limit: dma_avail stays 1 and RPCIT never runs out', () => {
    const r = rig({ limit: 4 });
    const unlimited = new Proxy(r.container, {
      get: (target, prop, receiver) =>
        prop === 'getInfo' ? () => ({ ...target.getInfo(), dmaAvail: -1 }) : Reflect.get(target, prop, receiver),
    });
    const { count } = new S390PciDmaCounts().start(unlimited);
    expect(count.limited).toBe(false);
    const table = new ZpciDmaTable();
    const shadow = new QemuS390PciShadow({ costs: r.costs, qemu: r.qemu, container: r.container, table, count });
    table.validate(BASE / PAGE, 0, 3, false);
    shadow.serve(BASE, 3 * PAGE);
    expect(shadow.lastCc).toBe(0);
  });
});

describe('a failed VFIO map is only logged by QEMU: the guest sees cc 0 and QEMU keeps the entry', () => {
  it('past RLIMIT_MEMLOCK the entry stays cached but unbacked; unmapping it later settles the books', () => {
    const r = rig({ limit: 100, memlockPages: 2 });
    r.write(0, 3, 50);
    expect(r.rpcit(0, 3)).toBe(0);
    expect(r.container.log[2]).toBe('map 2 1 52 rw rc12');
    expect(r.qemu.vfioMapFailures).toBe(1);
    expect(r.shadow.entries).toBe(3);
    expect(r.shadow.unbackedEntries).toBe(1);
    expect(r.type1.entries).toBe(2);
    expect(r.count.avail).toBe(97);
    r.clear(0, 3);
    r.rpcit(0, 3);
    expect(r.shadow.unbackedEntries).toBe(0);
    expect(r.type1.entries).toBe(0);
    expect(r.count.avail).toBe(100);
    expect(r.invariants()).toEqual([]);
  });
});

describe('QEMU shadow bookkeeping', () => {
  it('reports peak entries and the lowest dma_avail', () => {
    const r = rig({ limit: 8 });
    r.write(0, 6, 50);
    r.rpcit(0, 6);
    r.clear(0, 6);
    r.rpcit(0, 6);
    const m: MetricMap = {};
    r.shadow.collectMetrics(m);
    expect(m['s390.shadow.entriesPeak']).toBe(6);
    expect(m['s390.shadow.dmaAvailMin']).toBe(2);
  });

  it('checkInvariants notices a dma_avail that does not add up', () => {
    const r = rig({ limit: 8 });
    r.write(0, 2, 50);
    r.rpcit(0, 2);
    r.count.avail++;
    expect(r.shadow.checkInvariants().join()).toMatch(/dma_avail/);
  });
});

describe('QEMU before 7.2 and before 8.0 (rpcitSecondPass, coalescedUnmap off)', () => {
  it('before 7.2 there is one pass: what was skipped stays unmapped although the walk freed slots, and the answer is cc 0', () => {
    const r = rig({ limit: 8, secondPass: false });
    r.write(8, 8, 50);
    r.rpcit(8, 8);
    r.clear(8, 8);
    r.write(0, 4, 70);
    r.container.log.length = 0;
    expect(r.rpcit(0, 16)).toBe(0);
    expect(r.shadow.retryPasses).toBe(0);
    expect(r.container.log).toEqual(['unmap 4 4', 'unmap 8 8']);
    expect(r.shadow.cachedGpa(BASE / PAGE)).toBeNull();
    expect(r.invariants()).toEqual([]);
  });

  it('before 8.0 each cached entry that became invalid is unmapped on its own, uncached ones not at all', () => {
    const r = rig({ coalescedUnmap: false });
    r.write(0, 8, 50);
    r.rpcit(0, 4);
    r.clear(0, 8);
    r.container.log.length = 0;
    r.rpcit(0, 16);
    expect(r.container.log).toEqual(['unmap 0 1', 'unmap 1 1', 'unmap 2 1', 'unmap 3 1']);
    expect(r.shadow.unmapNotifies).toBe(4);
    expect(r.shadow.entries).toBe(0);
    expect(r.invariants()).toEqual([]);
  });

  it('before 8.0 a cached entry that became invalid is unmapped in walk order, after the maps queued before it', () => {
    const r = rig({ coalescedUnmap: false });
    r.write(2, 2, 50);
    r.rpcit(0, 4);
    r.clear(2, 2);
    r.write(0, 2, 70);
    r.container.log.length = 0;
    r.rpcit(0, 4);
    expect(r.container.log).toEqual(['map 0 1 70 rw', 'map 1 1 71 rw', 'unmap 2 1', 'unmap 3 1']);
  });
});
