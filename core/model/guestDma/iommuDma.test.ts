import { describe, expect, it } from 'vitest';
import { Simulation } from '../../sim/simulation';
import { resolveCostTable } from '../../sim/costTable';
import type { SimTimeNs } from '../../sim/simTime';
import { DmaCall } from '../base/dmaCall';
import { FakeGuestIommuDriver } from './fakeGuestIommuDriver.testkit';
import { cacheRound, DmaDevice, IommuDmaDomain, type IommuDmaOptions } from './iommuDma';
import { dmaBitMask } from './dmaDevice';

const GiB = 2 ** 30;

function setup(opts: Partial<IommuDmaOptions> = {}, driver = new FakeGuestIommuDriver()) {
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const busy: [number, number, number][] = [];
  const options: IommuDmaOptions = {
    mode: 'strict',
    cpus: 2,
    perCpuSize: 8,
    perCpuTimeoutNs: 10_000_000,
    singleSize: 32,
    singleTimeoutNs: 1_000_000_000,
    forcedac: false,
    ...opts,
  };
  const dma = new IommuDmaDomain(sim, driver, options, sim.costs, { occupy: (c, f, t) => busy.push([c, f, t]) });
  return { sim, dma, driver, busy, dev: new DmaDevice('nvme0', 64, 64, options.forcedac) };
}

describe('dma-iommu map and unmap', () => {
  it('strict: unmap clears the PTEs, syncs the IOTLB and frees the IOVA at once', () => {
    const { dma, driver, dev } = setup();
    const call = new DmaCall(0).begin(0);
    dma.map(call, dev, 0x1000, 4096, true);
    const iova = call.dmaAddr;
    dma.unmap(call.begin(call.t), iova, 4096);
    expect(driver.calls).toEqual([`map ${iova}`, `unmap ${iova}`, `sync ${iova}`]);
    expect(dma.iovad.find(iova / 4096)).toBeDefined(); // held by the rcache
    dma.rcache.flushAll();
    expect(dma.iovad.find(iova / 4096)).toBeUndefined();
  });

  it('lazy: the IOVA waits in the CPU ring; a ring holding size-1 entries forces flush_iotlb_all', () => {
    const { dma, driver, dev } = setup({ mode: 'lazy', perCpuSize: 4 });
    const call = new DmaCall(0);
    const iovas: number[] = [];
    for (let i = 0; i < 4; i++) {
      dma.map(call.begin(i * 1000), dev, 0x1000 * (i + 1), 4096, true);
      iovas.push(call.dmaAddr);
    }
    for (let i = 0; i < 3; i++) dma.unmap(call.begin(10_000 + i), iovas[i]!, 4096);
    expect(driver.calls.filter((c) => c === 'flush-all')).toHaveLength(0);
    expect(dma.fqDepth()).toBe(3);
    dma.unmap(call.begin(20_000), iovas[3]!, 4096);
    expect(driver.calls.filter((c) => c === 'flush-all')).toHaveLength(1);
    expect(dma.fq!.fullFlushes).toBe(1);
    expect(dma.fqDepth()).toBe(1);
    expect(driver.calls.some((c) => c.startsWith('sync'))).toBe(false);
  });

  it('lazy: the timer armed by the first queued IOVA flushes everything after the timeout', () => {
    const { sim, dma, driver, dev, busy } = setup({ mode: 'lazy' });
    const call = new DmaCall(1).begin(0);
    dma.map(call, dev, 0x1000, 4096, true);
    dma.unmap(call.begin(1000), call.dmaAddr, 4096);
    sim.step(10_000_999 as SimTimeNs, 100);
    expect(driver.calls).not.toContain('flush-all');
    sim.step(20_000_000 as SimTimeNs, 100);
    expect(driver.calls.filter((c) => c === 'flush-all')).toHaveLength(1);
    expect(dma.fqDepth()).toBe(0);
    // Armed when the IOVA was queued: after the unmap call's own work (150 ns DMA API + 100 ns driver).
    expect(busy).toEqual([[1, 10_001_250, 10_002_250]]);
    expect(dma.staleWindowNs.getValueAtPercentile(100)).toBeGreaterThanOrEqual(10_000_000);
  });

  it("lazy: the timer frees every CPU's ring into the rcache of the CPU it runs on (fq_ring_free on the timer's CPU)", () => {
    // Seen on a real 6.1 guest (tooling/oracle): CPU 1 unmaps, the timer runs on CPU 0, and the next
    // 1-page map on CPU 1 does not get the flushed IOVA back from CPU 1's magazine.
    const { dma, dev } = setup({ mode: 'lazy' });
    const c1 = new DmaCall(1);
    dma.map(c1.begin(0), dev, 0x1000, 4096, true);
    const a = c1.dmaAddr;
    dma.map(c1.begin(10), dev, 0x2000, 4096, true);
    const b = c1.dmaAddr;
    dma.unmap(c1.begin(20), a, 4096);
    dma.fq!.timerFlush(1);
    dma.map(c1.begin(30), dev, 0x3000, 4096, true);
    expect(c1.dmaAddr).toBe(a); // freed on CPU 1: back from CPU 1's magazine
    dma.unmap(c1.begin(40), b, 4096);
    dma.fq!.timerFlush(0);
    dma.map(c1.begin(50), dev, 0x4000, 4096, true);
    expect(c1.dmaAddr).not.toBe(b); // freed on CPU 0: CPU 1's magazine does not have it
    const c0 = new DmaCall(0);
    dma.map(c0.begin(60), dev, 0x5000, 4096, true);
    expect(c0.dmaAddr).toBe(b); // but CPU 0's does
  });

  it('a driver without deferred flush (s390 ISM) is always strict', () => {
    const { dma } = setup({ mode: 'lazy' }, new FakeGuestIommuDriver(false));
    expect(dma.mode).toBe('strict');
    expect(dma.fq).toBeNull();
  });

  it('lazy-single uses one shared ring across CPUs', () => {
    const { dma, dev } = setup({ mode: 'lazy-single' });
    const a = new DmaCall(0).begin(0);
    const b = new DmaCall(1).begin(0);
    dma.map(a, dev, 0x1000, 4096, true);
    dma.map(b, dev, 0x2000, 4096, true);
    dma.unmap(a, a.dmaAddr, 4096);
    dma.unmap(b, b.dmaAddr, 4096);
    expect(dma.fq!.single).toBe(true);
    expect(dma.fqDepth()).toBe(2);
  });

  it('a failed map frees its IOVA at once and returns DMA_MAPPING_ERROR (no queueing)', () => {
    const { dma, driver, dev } = setup({ mode: 'lazy' });
    driver.failMaps = 1;
    const call = new DmaCall(0).begin(0);
    dma.map(call, dev, 0x1000, 4096, true);
    expect(call.errno).toBe(12);
    expect(dma.mapFailures).toBe(1);
    expect(dma.fqDepth()).toBe(0);
  });
});

describe('dma-iommu IOVA placement (iommu_dma_alloc_iova)', () => {
  it('rounds a length like roundup_pow_of_two below 32 pages and keeps it from 32 pages up', () => {
    for (let pages = 0; pages <= 4096; pages++) {
      let p = 1;
      while (p < pages) p *= 2;
      expect(cacheRound(pages)).toBe(pages < 32 ? p : pages);
    }
  });

  it('iommu_dma_opt_mapping_size is the largest rcache class, 128 KiB', () => {
    expect(setup().dma.optMappingBytes()).toBe(128 * 1024);
  });

  it('DMA_BIT_MASK matches 2^n - 1 for every width, table or not', () => {
    for (let n = 0; n < 64; n++) expect(dmaBitMask(n)).toBe(2 ** n - 1);
    expect([dmaBitMask(64), dmaBitMask(70), dmaBitMask(39.5)]).toEqual([2 ** 64 - 1, 2 ** 64 - 1, 2 ** 39.5 - 1]);
  });

  it('tries below 4 GiB first for PCI devices, then gives up the 32-bit window for good with a notice', () => {
    const driver = new FakeGuestIommuDriver(true, false, 0, 2 ** 42 - 1, [{ start: 0, last: 4 * GiB - 1 }]);
    const { dma, dev } = setup({}, driver);
    const call = new DmaCall(0).begin(0);
    dma.map(call, dev, 0x1000, 4096, true);
    expect(call.dmaAddr).toBeGreaterThanOrEqual(4 * GiB);
    expect(dev.pci32bitWorkaround).toBe(false);
    expect(dev.log).toEqual(['nvme0: Using 42-bit DMA addresses']);
    dma.map(call.begin(0), dev, 0x2000, 4096, true);
    expect(dev.log).toHaveLength(1);
  });

  it('with iommu.forcedac=1 never tries below 4 GiB and logs nothing', () => {
    const driver = new FakeGuestIommuDriver(true, false, 0, 2 ** 42 - 1, [{ start: 0, last: 4 * GiB - 1 }]);
    const { dma, dev } = setup({ forcedac: true }, driver);
    dma.map(new DmaCall(0).begin(0), dev, 0x1000, 4096, true);
    expect(dev.log).toEqual([]);
  });

  it('keeps a 64-bit device below 4 GiB while room is left there', () => {
    const { dma, dev } = setup();
    const call = new DmaCall(0).begin(0);
    dma.map(call, dev, 0x1000, 8192, true);
    expect(call.dmaAddr).toBeLessThan(4 * GiB);
    expect(call.dmaAddr % 8192).toBe(0);
  });

  it('fails a coherent allocation whose mask ends below the DMA window (the mlx5 ordering bug)', () => {
    const driver = new FakeGuestIommuDriver(true, false, 0, 2 ** 42 - 1, [{ start: 0, last: 4 * GiB - 1 }]);
    const { dma } = setup({}, driver);
    const mlx5 = new DmaDevice('mlx5', 32, 32, false);
    const call = new DmaCall(0).begin(0);
    dma.allocCoherent(call, mlx5, 0x1000, 4096);
    expect(call.errno).toBe(12);
    expect(dma.iovaExhaustions).toBe(1);
  });

  it('rounds sizes below 32 pages up to a power of two, never returns IOVA 0', () => {
    const driver = new FakeGuestIommuDriver(true, false, 0, 16 * 4096 - 1);
    const { dma, dev } = setup({ forcedac: true }, driver);
    const call = new DmaCall(0);
    const got: number[] = [];
    for (let i = 0; i < 6; i++) {
      dma.map(call.begin(0), dev, 0, 3 * 4096, true);
      if (call.errno === 0) got.push(call.dmaAddr);
    }
    // 3 pages round to 4: 16 pages hold 3 such ranges above IOVA 0 (the lowest slot would include 0).
    expect(got).toEqual([12 * 4096, 8 * 4096, 4 * 4096]);
  });
});
