import { describe, expect, it } from 'vitest';
import { ScenarioRun } from '../run/scenarioRun';
import { VIOMMU_FACTORIES } from '../stack/viommuRegistry';
import { metricInfo } from '../run/metricCatalog';
import { loadScenario } from '../scenario/loadScenario';
import { NET_TX_RING_ENTRIES } from './netWorkload';

function run(workload: Record<string, unknown>, extra: Record<string, unknown> = {}, device: Record<string, unknown> = {}) {
  const r = loadScenario({
    value: {
      name: 'net',
      durationMs: 5,
      vms: [{ vcpus: 2, devices: [{ name: 'nic0', kind: 'mlx5-vf', ...device }] }],
      workload: { kind: 'net', ...workload },
      ...extra,
    },
  });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const sim = new ScenarioRun(r.scenario);
  const result = sim.runToEnd();
  return { m: result.metrics, timeline: sim.timeline(), hash: result.timelineHash };
}

describe('net: RX buffers are mapped once per page, TX packets once each', () => {
  it('maps ceil(rxRingEntries / (4096 / rxBufferBytes)) RX pages, whatever the packet rate and duration', () => {
    const short = run({ rxRingEntries: 1000, rxBufferBytes: 2048, packetRate: 1e5 });
    const long = run({ rxRingEntries: 1000, rxBufferBytes: 2048, packetRate: 1e6 }, { durationMs: 20 });
    for (const { m } of [short, long]) {
      expect(m['net.rxPagesMapped']).toBe(500);
      expect(m['net.rxBuffersMapped']).toBe(1000);
    }
    expect(long.m['net.rxPackets']!).toBeGreaterThan(10 * short.m['net.rxPackets']!);
  });

  it('packs 4096 / rxBufferBytes buffers per page, and gives a larger buffer its own page-rounded mapping', () => {
    expect(run({ rxRingEntries: 64, rxBufferBytes: 1024 }).m['net.rxPagesMapped']).toBe(16);
    expect(run({ rxRingEntries: 64, rxBufferBytes: 3000 }).m['net.rxPagesMapped']).toBe(64);
    expect(run({ rxRingEntries: 64, rxBufferBytes: 9000 }).m['net.rxPagesMapped']).toBe(64);
  });

  it('maps and unmaps every TX packet exactly once; RX packets never map', () => {
    const { m } = run({ rxRingEntries: 256 });
    expect(m['dma.unmaps']).toBe(m['net.txPackets']);
    const inFlight = m['dma.maps']! - m['net.rxPagesMapped']! - m['net.txPackets']!;
    expect(inFlight).toBeGreaterThanOrEqual(0);
    expect(inFlight).toBeLessThanOrEqual(4);
    expect(m['net.rxPackets']).toBeGreaterThan(0);
  });

  it.runIf(VIOMMU_FACTORIES['intel-iommu'] !== undefined)(
    'through intel-iommu: every guest map becomes a VFIO map, RX pages still once',
    () => {
      const { m } = run(
        { packetRate: 1e5, rxRingEntries: 256 },
        { vms: [{ vcpus: 2, viommu: { model: 'intel-iommu' }, devices: [{ name: 'nic0', kind: 'mlx5-vf' }] }] },
      );
      expect(m['net.rxPagesMapped']).toBe(128);
      expect(m['dma.unmaps']).toBe(m['net.txPackets']);
      // Besides every guest map: QEMU's boot-time maps of guest RAM's two regions (below and above
      // the PCI hole) through the no-DMAR alias, unmapped once the guest enables translation.
      expect(m['vfio.mapIoctls']).toBe(m['dma.maps']! + 2);
      expect(m['vfio.unmapIoctls']).toBe(m['dma.unmaps']! + 2);
      expect(m['dma.maps']! - m['net.rxPagesMapped']! - m['net.txPackets']!).toBeLessThanOrEqual(4);
    },
  );

  it('sends no TX map when every packet is received, and receives nothing when every packet is sent', () => {
    const rxOnly = run({ txShare: 0, rxRingEntries: 64 }).m;
    expect(rxOnly['dma.maps']).toBe(32);
    expect(rxOnly['net.txPackets']).toBe(0);
    const txOnly = run({ txShare: 1 }).m;
    expect(txOnly['net.rxPackets']).toBe(0);
    expect(txOnly['net.txPackets']).toBeGreaterThan(4000);
  });

  it('spreads TX evenly: a txShare of 0.25 sends a quarter of the packets', () => {
    const { m } = run({ txShare: 0.25, packetRate: 2e5 }, { durationMs: 20 });
    expect(m['net.txPackets']! / m['net.arrivals']!).toBeCloseTo(0.25, 2);
  });

  it('accounts for every arrival: sent, received, dropped or still in flight', () => {
    for (const m of [run({}).m, run({ rxRingEntries: 2 }, { durationMs: 20, costs: { guestDmaMapNs: 2_000_000 } }).m]) {
      expect(m['net.arrivals']).toBeGreaterThan(0);
      const accounted = m['net.txPackets']! + m['net.rxPackets']! + m['net.dropped']!;
      expect(m['net.arrivals']! - accounted).toBeGreaterThanOrEqual(0);
      expect(m['net.arrivals']! - accounted).toBeLessThanOrEqual(NET_TX_RING_ENTRIES + 1024);
    }
  });
});

describe('net: drops', () => {
  it('drops a packet whose vCPU is busy for more than 1 ms (each TX map here takes 2 ms)', () => {
    // Two buffers in one page: the ring fills in one 2 ms map, then TX maps pile up on vCPU 1.
    const { m, timeline: cols } = run({ packetRate: 1e4, rxRingEntries: 2 }, { durationMs: 20, costs: { guestDmaMapNs: 2_000_000 } });
    expect(m['net.dropped']).toBeGreaterThan(0);
    const reasons = new Set<string>();
    for (let i = 0; i < cols.count; i++) if (cols.kinds[cols.kind[i]!]!.name === 'net.drop') reasons.add(cols.strings[cols.a0[i]!]!);
    expect([...reasons]).toEqual(['vCPU busy > 1 ms']);
    expect(m['net.txMapFailures']).toBe(0);
    const fast = run({ packetRate: 1e4, rxRingEntries: 2 }, { durationMs: 20 }).m;
    expect(fast['net.dropped']).toBe(0);
  });

  it('drops TX packets when all TX descriptors are in flight (a device far slower than the offered load)', () => {
    const { m } = run({ txShare: 1, packetRate: 1e6 }, {}, { latencyUs: 5000 });
    expect(m['net.dropped']).toBeGreaterThan(0);
    expect(m['dma.maps']! - m['net.rxPagesMapped']!).toBeLessThanOrEqual(NET_TX_RING_ENTRIES);
  });

  it('drops RX packets when no RX buffer is free', () => {
    const { m } = run({ txShare: 0, rxRingEntries: 2, rxBufferBytes: 4096 }, {}, { latencyUs: 1000 });
    expect(m['net.dropped']).toBeGreaterThan(0);
    expect(m['net.rxPagesMapped']).toBe(2);
  });
});

describe('net: arrivals and latency', () => {
  it('Poisson arrivals are seeded: same seed same timeline, another seed another, about the same rate', () => {
    const a = run({ arrival: 'poisson', packetRate: 2e5 });
    const b = run({ arrival: 'poisson', packetRate: 2e5 });
    const c = run({ arrival: 'poisson', packetRate: 2e5 }, { seed: 7 });
    expect(a.hash).toBe(b.hash);
    expect(c.hash).not.toBe(a.hash);
    const fixed = run({ packetRate: 2e5 });
    expect(a.m['net.arrivals']! / fixed.m['net.arrivals']!).toBeGreaterThan(0.9);
    expect(a.m['net.arrivals']! / fixed.m['net.arrivals']!).toBeLessThan(1.1);
  });

  it('reports TX latency from map start to unmap end, and packets per second', () => {
    const { m } = run({ packetRate: 1e5 });
    expect(m['io.latencyP50Us']!).toBeGreaterThan(3); // the mlx5-vf default latency is 3 us
    expect(m['io.latencyP99Us']!).toBeGreaterThanOrEqual(m['io.latencyP50Us']!);
    expect(m['io.iops']).toBeCloseTo(m['io.completed']! / 0.005, 6);
  });

  it('links each transmission to its map and each unmap to its transmission', () => {
    const { timeline: cols } = run({ packetRate: 1e5 });
    const name = (i: number) => cols.kinds[cols.kind[i]!]!.name;
    let checked = 0;
    for (let i = 0; i < cols.count; i++) {
      if (name(i) === 'net.tx') expect(name(cols.cause[i]!)).toBe('net.txBuffer.map');
      if (name(i) === 'net.txBuffer.unmap') {
        expect(name(cols.cause[i]!)).toBe('net.tx');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('reports only catalogued metrics', () => {
    expect(Object.keys(run({}).m).filter((k) => metricInfo(k) === undefined)).toEqual([]);
  });
});

describe('net: the stack costs CPU time per packet (txStackNs, rxStackNs)', () => {
  it('a sender whose core needs more than the packet interval falls behind and drops the rest', () => {
    // 1 vCPU, 1,000,000 packets/s offered: 0.5 us of stack work fits, 2 us does not.
    const fits = run(
      { packetRate: 1e6, txShare: 1, txStackNs: 500 },
      { vms: [{ vcpus: 1, devices: [{ name: 'nic0', kind: 'mlx5-vf' }] }] },
    );
    const slow = run(
      { packetRate: 1e6, txShare: 1, txStackNs: 2000 },
      { vms: [{ vcpus: 1, devices: [{ name: 'nic0', kind: 'mlx5-vf' }] }] },
    );
    expect(fits.m['net.dropped']).toBe(0);
    expect(slow.m['net.txPackets']!).toBeLessThan(0.6 * fits.m['net.txPackets']!);
    expect(slow.m['guest.vcpuUtilization']!).toBeGreaterThan(0.99);
  });

  it('RX stack work occupies the receiving vCPU', () => {
    const free = run({ packetRate: 1e5, txShare: 0 });
    const busy = run({ packetRate: 1e5, txShare: 0, rxStackNs: 5000 });
    expect(busy.m['guest.vcpuUtilization']!).toBeGreaterThan(free.m['guest.vcpuUtilization']! + 0.2);
  });
});
