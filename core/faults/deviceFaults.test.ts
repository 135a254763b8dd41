import { describe, expect, it } from 'vitest';
import { ScenarioRun } from '../run/scenarioRun';
import { loadRunnableScenario } from '../run/scenarioChecks';
import { TimelineRecorder, type TimelineColumns } from '../sim/timelineRecorder';

interface Run {
  readonly m: Record<string, number>;
  readonly tl: TimelineColumns;
}

function run(value: Record<string, unknown>, overrides: string[] = []): Run {
  const r = loadRunnableScenario({ value: { name: 'faults', durationMs: 100, ...value } }, overrides);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  const timeline = new TimelineRecorder();
  const result = new ScenarioRun(r.scenario, { timeline }).runToEnd();
  return { m: result.metrics, tl: timeline.columns() };
}

function kindId(tl: TimelineColumns, name: string): number {
  const k = tl.kinds.find((x) => x.name === name);
  if (k === undefined) throw new Error(`no kind ${name}: ${tl.kinds.map((x) => x.name).join(', ')}`);
  return k.id;
}

function eventsOf(tl: TimelineColumns, name: string): number[] {
  const id = kindId(tl, name);
  const out: number[] = [];
  for (let i = 0; i < tl.count; i++) if (tl.kind[i] === id) out.push(i);
  return out;
}

/** Kind names from an event back along its cause links. */
function chain(tl: TimelineColumns, i: number): string[] {
  const names: string[] = [];
  for (let e = i; e >= 0; e = tl.cause[e]!) names.push(tl.kinds[tl.kind[e]!]!.name);
  return names;
}

/** IOs the device served (device-lane "io" events) that started in [fromNs, toNs). */
function iosBetween(tl: TimelineColumns, fromNs: number, toNs: number): number {
  const io = kindId(tl, 'device.io');
  let n = 0;
  for (let i = 0; i < tl.count; i++) if (tl.kind[i] === io && tl.t[i]! >= fromNs && tl.t[i]! < toNs) n++;
  return n;
}

const fio = { kind: 'fio', iodepth: 8, numjobs: 2 };
const intel = [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'strict' } }];
const ms = 1e6;

describe('device-unplug: in-flight IOs finish, no new IO starts, QEMU drops the mappings', () => {
  const r = run({ vms: intel, workload: fio, faults: [{ kind: 'device-unplug', atMs: 20, device: 'nvme0' }] });

  it('lets the IOs in flight at the request complete, then starts none', () => {
    const [removed] = eventsOf(r.tl, 'device.remove');
    const removedAt = r.tl.t[removed!]!;
    expect(removedAt).toBeGreaterThanOrEqual(20 * ms);
    expect(removedAt).toBeLessThan(21 * ms);
    expect(iosBetween(r.tl, removedAt + 1, 100 * ms)).toBe(0);
    expect(iosBetween(r.tl, 0, 20 * ms)).toBeGreaterThan(100);
    expect(r.m['io.aborted'] ?? 0).toBe(0);
  });

  it('leaves no mapping in the device container (one unmap-all ioctl)', () => {
    expect(r.m['vfio.entriesEnd']).toBe(0);
    expect(r.m['vfio.lockedBytesEnd']).toBe(0);
  });

  it('explains the removal: removed <- unplug requested <- the injected fault', () => {
    const [removed] = eventsOf(r.tl, 'device.remove');
    expect(chain(r.tl, removed!)).toEqual(['device.remove', 'device.unplug.requested', 'fault.inject']);
  });

  it('counts the unplug and about 80 ms offline', () => {
    expect(r.m['device.unplugs']).toBe(1);
    expect(r.m['device.offlineMs']).toBeGreaterThan(79);
    expect(r.m['device.offlineMs']).toBeLessThanOrEqual(80);
  });
});

describe('device-hotplug: the device comes back with a fresh DMA path', () => {
  it('without a vIOMMU, re-plugging the only device re-maps (and pins) all guest RAM first', () => {
    const mem = 2 ** 30;
    const r = run(
      {
        vms: [{ memoryBytes: mem }],
        workload: fio,
        faults: [
          { kind: 'device-unplug', atMs: 10, device: 'nvme0' },
          { kind: 'device-hotplug', atMs: 30, device: 'nvme0' },
        ],
      },
      ['durationMs=400'],
    );
    const pinMs = (mem / 4096) * 250 * 1e-6;
    const probeMs = 100;
    expect(r.m['device.hotplugMs']).toBeGreaterThan(pinMs + probeMs);
    // Back online after the re-map and the probe; IOs resume then, not before.
    const backNs = (30 + (r.m['device.hotplugMs'] ?? 0)) * ms;
    expect(iosBetween(r.tl, 11 * ms, backNs - 1)).toBe(0);
    expect(iosBetween(r.tl, backNs, 400 * ms)).toBeGreaterThan(100);
    expect(r.m['vfio.entriesEnd']).toBeGreaterThan(0);
  });

  it('with a vIOMMU, the new domain starts empty and maps per IO again', () => {
    const r = run(
      {
        vms: intel,
        workload: fio,
        faults: [
          { kind: 'device-unplug', atMs: 10, device: 'nvme0' },
          { kind: 'device-hotplug', atMs: 20, device: 'nvme0' },
        ],
      },
      ['durationMs=200'],
    );
    expect(r.m['device.hotplugs']).toBe(1);
    // No RAM to map with a vIOMMU: only the guest's probe.
    expect(r.m['device.hotplugMs']).toBeCloseTo(100, 6);
    expect(iosBetween(r.tl, 11 * ms, 120 * ms)).toBe(0);
    expect(iosBetween(r.tl, 120 * ms, 200 * ms)).toBeGreaterThan(100);
  });

  it('ignores a hot-plug of a device that is present', () => {
    const r = run({ workload: fio, faults: [{ kind: 'device-hotplug', atMs: 5, device: 'nvme0' }] });
    expect(eventsOf(r.tl, 'device.hotplug.ignored')).toHaveLength(1);
    expect(r.m['device.hotplugs'] ?? 0).toBe(0);
  });
});

describe('guest-reset: in-flight IOs are lost, vIOMMU mappings dropped, the guest comes back', () => {
  const faults = [{ kind: 'guest-reset', atMs: 30 }];
  const r = run({
    vms: [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'lazy' } }],
    workload: fio,
    faults,
    costs: { guestRebootNs: 20e6 },
  });

  it('loses the IOs in flight at the reset', () => {
    expect(r.m['io.aborted']).toBeGreaterThan(0);
    expect(r.m['io.aborted']).toBeLessThanOrEqual(16);
    expect(r.m['guest.resets']).toBe(1);
  });

  it('runs IOs again only after the reboot', () => {
    expect(iosBetween(r.tl, 30 * ms + 1, 50 * ms)).toBe(0);
    expect(iosBetween(r.tl, 51 * ms, 100 * ms)).toBeGreaterThan(100);
  });

  it('counts the DMA work of both guest lifetimes', () => {
    const noReset = run({ vms: [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'lazy' } }], workload: fio }, ['durationMs=30']);
    expect(r.m['dma.maps']).toBeGreaterThan(noReset.m['dma.maps']!);
  });

  it("drops every vIOMMU shadow mapping in the device's container at the reset", () => {
    const rebooting = run({ vms: intel, workload: fio, faults, costs: { guestRebootNs: 1e9 } });
    expect(rebooting.m['io.aborted']).toBeGreaterThan(0);
    expect(rebooting.m['vfio.entriesEnd']).toBe(0);
  });

  it('keeps guest RAM mapped without a vIOMMU (QEMU only resets the vIOMMU)', () => {
    const plain = run({ workload: fio, faults, costs: { guestRebootNs: 20e6 } });
    expect(plain.m['vfio.entriesEnd']).toBeGreaterThan(0);
    expect(plain.m['vfio.unmapIoctls'] ?? 0).toBe(0);
  });

  it('does not bring back a device that was unplugged before the reset', () => {
    const r2 = run({
      workload: fio,
      faults: [
        { kind: 'device-unplug', atMs: 10, device: 'nvme0' },
        { kind: 'guest-reset', atMs: 20 },
      ],
      costs: { guestRebootNs: 5e6 },
    });
    expect(iosBetween(r2.tl, 11 * ms, 100 * ms)).toBe(0);
  });
});

describe('scenario checks of the device faults', () => {
  it('rejects a fault naming a device the scenario does not have, with the field path', () => {
    const r = loadRunnableScenario({ value: { name: 'x', faults: [{ kind: 'device-unplug', atMs: 1, device: 'nope' }] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain('faults.0.device: no device named "nope"');
  });

  it('rejects a guest reset of an unknown VM', () => {
    const r = loadRunnableScenario({ value: { name: 'x', faults: [{ kind: 'guest-reset', atMs: 1, vm: 'vm9' }] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain('faults.0.vm: no VM named "vm9"');
  });
});

describe('workloads that map once at setup map again on the new guest after a reset', () => {
  const reset = { faults: [{ kind: 'guest-reset', atMs: 20 }], costs: { guestRebootNs: 10e6 } };
  const vms = [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'strict' }, devices: [{ name: 'dev0', kind: 'generic' }] }];

  it('dpdk: the application restarts and maps its mempool again', () => {
    const workload = { kind: 'dpdk', mempoolBytes: 64 * 2 ** 20, chunkBytes: 2 * 2 ** 20 };
    const once = run({ vms, workload });
    const r = run({ vms, workload, ...reset });
    expect(once.m['dpdk.mappings']).toBe(32);
    expect(r.m['dpdk.mappings']).toBe(64);
    expect(countKind(r.tl, 'dpdk.io', 30 * ms, 100 * ms)).toBeGreaterThan(100);
  });

  it('gpu: the buffers are mapped again and kernels resume', () => {
    const workload = { kind: 'gpu', buffers: 2, bufferBytes: 2 ** 24, transferBytes: 2 ** 20, kernelUs: 100 };
    const r = run({ vms, workload, ...reset });
    expect(r.m['gpu.mappings']).toBe(4);
    expect(countKind(r.tl, 'gpu.kernel', 30 * ms, 100 * ms)).toBeGreaterThan(10);
  });

  it('net: the RX ring is filled again; packets arriving while the guest reboots are dropped', () => {
    const workload = { kind: 'net', packetRate: 100_000, rxRingEntries: 256 };
    const once = run({ vms, workload });
    const r = run({ vms, workload, ...reset });
    expect(r.m['net.rxPagesMapped']).toBe(2 * once.m['net.rxPagesMapped']!);
    expect(r.m['net.dropped']).toBeGreaterThan(once.m['net.dropped']! + 500);
    expect(countKind(r.tl, 'net.tx', 30 * ms, 100 * ms)).toBeGreaterThan(100);
  });
});

function countKind(tl: TimelineColumns, name: string, fromNs: number, toNs: number): number {
  const id = kindId(tl, name);
  let n = 0;
  for (let i = 0; i < tl.count; i++) if (tl.kind[i] === id && tl.t[i]! >= fromNs && tl.t[i]! < toNs) n++;
  return n;
}
