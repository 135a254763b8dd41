import { describe, expect, it } from 'vitest';
import type { MetricMap } from '../../sim/metricSink';
import { loadScenario } from '../../scenario/loadScenario';
import type { VirtioIommuOptions } from '../../scenario/x86ViommuSchema';
import { FaultInjector } from '../../sim/faultInjector';
import { DmaCall } from '../base/dmaCall';
import { ENOMEM } from '../base/errno';
import {
  alignedPow2Chunk,
  VIRTIO_IOMMU_MAP_F_MMIO,
  VIRTIO_IOMMU_MAP_F_READ,
  VIRTIO_IOMMU_MAP_F_WRITE,
  VIRTIO_IOMMU_T_MAP,
  VIRTIO_IOMMU_T_UNMAP,
} from './qemuVirtioIommu';
import { pgsizeRunBytes, VIRTIO_IOMMU_MSI_RANGE, VirtioIommuGuestDriver } from './virtioIommuGuest';
import { hostSide } from '../viommu/viommuFailNth.testkit';

const KiB = 1024;
const RW = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE;

function rig(o: Partial<VirtioIommuOptions> = {}, faults?: FaultInjector) {
  const { costs, timeline, qemu, container } = hostSide({ backing: 'thp' });
  const driver = new VirtioIommuGuestDriver({
    qemu,
    container,
    costs,
    timeline,
    laneName: 'viommu.vm0.nvme0',
    options: { awBits: 39, deferredFlush: true, iotlbSyncMap: true, shadowOnFlush: false, requestQueueSize: 256, ...o },
    faults,
  });
  return { qemu, container, driver, timeline, costs, call: new DmaCall(0) };
}

describe('iommu core splitting for virtio-iommu (iommu_pgsize over a bitmap of every power of two >= 4 KiB)', () => {
  it('one map_pages call when the physical address is less aligned than the IOVA', () => {
    expect(pgsizeRunBytes(0x10000, 0x40_1000, 64 * KiB)).toBe(64 * KiB);
    expect(pgsizeRunBytes(0x4000, 0x40_1000, 12 * KiB)).toBe(12 * KiB);
  });

  it('splits where IOVA and physical address share the offset into a bigger page', () => {
    expect(pgsizeRunBytes(0x4000, 0x40_4000, 12 * KiB)).toBe(8 * KiB);
    expect(pgsizeRunBytes(0x3000, 0x3000, 64 * KiB)).toBe(4 * KiB);
  });
});

describe('QEMU notification chunks (dma_aligned_pow2_mask)', () => {
  it('a chunk is the largest power of two that is aligned at its start and fits before the end', () => {
    expect(alignedPow2Chunk(0x10000, 0x1ffff)).toBe(0x10000);
    expect(alignedPow2Chunk(0x4000, 0x6fff)).toBe(0x2000);
    expect(alignedPow2Chunk(0x6000, 0x6fff)).toBe(0x1000);
    expect(alignedPow2Chunk(0x1000, 0x10_0fff)).toBe(0x1000);
    expect(alignedPow2Chunk(0, 0x2fff)).toBe(0x2000);
    expect(alignedPow2Chunk(2 ** 40, 2 ** 41 - 1)).toBe(2 ** 40);
  });
});

describe('virtio-iommu guest driver: requests, kicks and QEMU', () => {
  it('a map queues one MAP and kicks once (iotlb_sync_map): one exit, one VFIO map per power-of-two chunk', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_1000, 64 * KiB, true);
    expect(qemu.exits).toBe(1);
    expect(driver.device.requests).toBe(1);
    expect(qemu.vfioMapCalls).toBe(1);
    expect(container.entries).toBe(1);
    driver.map(call.begin(0), 0x4000, 0x50_1000, 12 * KiB, true);
    expect(qemu.exits).toBe(2);
    expect(qemu.vfioMapCalls).toBe(3);
  });

  it('iommu_map_sg: one MAP per element, one kick for the scatterlist (iotlb_sync_map)', () => {
    const { driver, qemu, container, call } = rig();
    driver.mapSg(call.begin(0), 0x10000, [0x40_1000, 0x50_1000], 2, 32 * KiB, true);
    expect(qemu.exits).toBe(1);
    expect(driver.device.requests).toBe(2);
    expect(container.entries).toBe(2);
    expect(driver.mappingAt(0x18000)?.gpa).toBe(0x50_1000);
  });

  it('before iotlb_sync_map (Linux < 6.8) every viommu_map_pages kicks and waits: one exit per element', () => {
    const { driver, qemu, call } = rig({ iotlbSyncMap: false });
    driver.mapSg(call.begin(0), 0x10000, [0x40_1000, 0x50_1000], 2, 32 * KiB, true);
    expect(qemu.exits).toBe(2);
    // A run the iommu core splits in two (iova and paddr share an offset) is two map_pages calls.
    driver.map(call.begin(0), 0x4000, 0x40_4000, 12 * KiB, true);
    expect(qemu.exits).toBe(4);
  });

  it('the vCPU waits for the kick: its clock includes the exit and QEMU serving the queue', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_1000, 4 * KiB, true);
    const mapped = call.t;
    driver.unmap(call.begin(mapped), 0x10000, 4 * KiB);
    const queued = call.t;
    driver.iotlbSync(call);
    // vmExitNs + qemuInvalidationNs + virtioIommuRequestNs (defaults) + the VFIO unmap
    expect(call.t - queued).toBeGreaterThan(1500 + 2000 + 500);
  });

  it('an unmap queues an UNMAP without kicking: no exit, the host keeps the mapping until the next kick', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_1000, 64 * KiB, true);
    driver.unmap(call.begin(0), 0x10000, 64 * KiB);
    expect(qemu.exits).toBe(1);
    expect(container.entries).toBe(1);
    expect(driver.queue.pendingUnmaps).toBe(1);
    driver.map(call.begin(0), 0x40000, 0x60_1000, 4 * KiB, true);
    expect(qemu.exits).toBe(2);
    expect(driver.device.requests).toBe(3);
    expect(container.entries).toBe(1);
    expect(driver.queue.pendingUnmaps).toBe(0);
  });

  it('iotlb_sync and flush_iotlb_all kick only when something is queued (EVENT_IDX)', () => {
    const { driver, qemu, call } = rig();
    driver.iotlbSync(call.begin(0));
    driver.flushIotlbAll(call.begin(0));
    expect(qemu.exits).toBe(0);
    driver.map(call.begin(0), 0x10000, 0x40_1000, 4 * KiB, true);
    driver.unmap(call.begin(0), 0x10000, 4 * KiB);
    driver.iotlbSync(call.begin(0));
    expect(qemu.exits).toBe(2);
    expect(qemu.vfioUnmapCalls).toBe(1);
  });

  it('adding to a full request queue kicks first (__viommu_add_req)', () => {
    const { driver, qemu, call } = rig({ requestQueueSize: 2 });
    for (let i = 0; i < 3; i++) driver.map(call.begin(0), 0x10000 * (i + 1), 0x40_0000 + i * 0x1000, 4 * KiB, true);
    const exits = qemu.exits;
    for (let i = 0; i < 3; i++) driver.unmap(call.begin(0), 0x10000 * (i + 1), 4 * KiB);
    expect(qemu.exits).toBe(exits + 1);
    expect(driver.queueFullKicks).toBe(1);
    expect(driver.queue.length).toBe(1);
  });

  it('an unmap removes whole mappings starting in the range, never a part (viommu_del_mappings)', () => {
    const { driver, container, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_0000, 64 * KiB, true);
    driver.unmap(call.begin(0), 0x18000, 4 * KiB); // starts inside: nothing
    expect(driver.mappingAt(0x10000)).toBeDefined();
    driver.unmap(call.begin(0), 0x10000, 4 * KiB); // starts at it: the whole 64 KiB goes
    expect(driver.mappingAt(0x10000)).toBeUndefined();
    driver.iotlbSync(call.begin(0));
    expect(container.entries).toBe(0);
  });

  it('an unmap that frees less than its run drops the mappings without an UNMAP (they stay in QEMU)', () => {
    const { driver, container, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_0000, 4 * KiB, true);
    driver.unmap(call.begin(0), 0x10000, 8 * KiB);
    driver.iotlbSync(call.begin(0));
    expect(driver.orphanedMappings).toBe(1);
    expect(driver.mappingAt(0x10000)).toBeUndefined();
    expect(driver.device.mappingAt(0x10000)).toBeDefined();
    expect(container.entries).toBe(1);
  });

  it('QEMU refuses an overlapping MAP (S_INVAL) and a partial UNMAP (S_RANGE); the guest never sees it', () => {
    const { driver, qemu, container, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_0000, 64 * KiB, true);
    driver.queue.push(VIRTIO_IOMMU_T_MAP, 0x18000, 0x18fff, 0x50_0000, RW);
    driver.queue.push(VIRTIO_IOMMU_T_UNMAP, 0x10000, 0x17fff, 0, 0);
    driver.iotlbSync(call.begin(0));
    expect(driver.device.requestErrors).toBe(2);
    expect(call.errno).toBe(0);
    expect(qemu.vfioMapCalls).toBe(1);
    expect(container.entries).toBe(1);
  });

  it('MMIO mappings and mappings without permission are not notified to VFIO', () => {
    const { driver, qemu, call } = rig();
    driver.queue.push(VIRTIO_IOMMU_T_MAP, 0x10000, 0x10fff, 0x40_0000, VIRTIO_IOMMU_MAP_F_MMIO | RW);
    driver.queue.push(VIRTIO_IOMMU_T_MAP, 0x20000, 0x20fff, 0x40_0000, 0);
    driver.iotlbSync(call.begin(0));
    expect(driver.device.entries).toBe(2);
    expect(qemu.vfioMapCalls).toBe(0);
  });

  it('a failed mapping or request allocation fails the map with ENOMEM and changes nothing', () => {
    const { driver, qemu, call } = rig({}, new FaultInjector(2));
    const before = driver.snapshot();
    driver.map(call.begin(0), 0x10000, 0x40_0000, 4 * KiB, true);
    expect(call.errno).toBe(ENOMEM);
    expect(driver.snapshot()).toEqual(before);
    expect(qemu.exits).toBe(0);
  });

  it('the aperture is the input range QEMU reports; the APIC range is reserved; deferred flush and shadow_on_flush follow the options', () => {
    const { driver } = rig();
    expect(driver.apertureLast).toBe(2 ** 39 - 1);
    expect(driver.reservedRanges).toEqual([VIRTIO_IOMMU_MSI_RANGE]);
    expect(driver.deferredFlush).toBe(true);
    expect(driver.shadowOnFlush).toBe(false);
    const old = rig({ deferredFlush: false, shadowOnFlush: true, awBits: 64 }).driver;
    expect(old.deferredFlush).toBe(false);
    expect(old.shadowOnFlush).toBe(true);
    expect(old.apertureLast).toBe(2 ** 64 - 1);
  });

  it('scenario defaults: aw-bits 39, deferred flush on, shadow_on_flush off (as upstream Linux), 256 requests', () => {
    const r = loadScenario({ value: { name: 'x' } });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.scenario.vms[0]!.viommu.virtio).toEqual({
        awBits: 39,
        deferredFlush: true,
        iotlbSyncMap: true,
        shadowOnFlush: false,
        requestQueueSize: 256,
      });
  });

  it('reports exits, requests and the peak of queued UNMAPs', () => {
    const { driver, call } = rig();
    driver.map(call.begin(0), 0x10000, 0x40_0000, 4 * KiB, true);
    driver.map(call.begin(0), 0x20000, 0x50_0000, 4 * KiB, true);
    driver.unmap(call.begin(0), 0x10000, 4 * KiB);
    driver.unmap(call.begin(0), 0x20000, 4 * KiB);
    driver.flushIotlbAll(call.begin(0));
    const m: MetricMap = {};
    driver.collectMetrics(m);
    expect(m).toMatchObject({ 'viommu.kicks': 3, 'viommu.requests': 4, 'viommu.staleMappingsPeak': 2, 'viommu.vfioUnmaps': 2 });
    expect(driver.checkInvariants()).toEqual([]);
  });
});

describe('virtio-iommu request_lock (viommu_add_req, viommu_sync_req: spin_lock_irqsave around the add, and around the kick and the wait)', () => {
  it("a second vCPU's sync waits for the first sync's whole round trip, its exit included", () => {
    const { driver, qemu } = rig();
    const a = new DmaCall(0).begin(0);
    const b = new DmaCall(1).begin(0);
    driver.map(a, 0x10000, 0x40_0000, 64 * KiB, true);
    const one = a.t;
    driver.map(b, 0x20000, 0x50_0000, 64 * KiB, true);
    expect(qemu.exits).toBe(2);
    // Only QEMU's part under the big lock would let b end at one + (QEMU's work), before 2 x one.
    expect(b.t).toBe(2 * one);
  });

  it('an UNMAP added while another vCPU syncs is added after that sync (lazy: no kick of its own)', () => {
    const { driver, qemu, costs } = rig();
    const a = new DmaCall(0).begin(0);
    driver.map(a, 0x10000, 0x40_0000, 64 * KiB, true);
    const b = new DmaCall(1).begin(0);
    driver.map(b, 0x20000, 0x50_0000, 64 * KiB, true);
    const syncEnd = b.t;
    const c = new DmaCall(2).begin(syncEnd - 1);
    driver.unmap(c, 0x10000, 64 * KiB);
    expect(qemu.exits).toBe(2);
    expect(c.t).toBe(syncEnd + costs.virtioIommuGuestRequestNs);
  });
});
