import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadRunnableScenario } from '../run/scenarioChecks';
import type { Scenario } from '../scenario/schema';
import { Simulation } from '../sim/simulation';
import { resolveCostTable } from '../sim/costTable';
import { buildStack } from '../stack/stackBuilder';
import { ScenarioRun } from '../run/scenarioRun';
import { FakeGuestIommuDriver } from '../model/guestDma/fakeGuestIommuDriver.testkit';
import { DmaDevice, IommuDmaDomain } from '../model/guestDma/iommuDma';
import { VcpuSet } from '../model/guestDma/vcpuSet';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { OpOutcome, OpsEnvironment } from './opTypes';
import { runOpStep } from '../workload/opsWorkload';
import { DmaMappingLedger } from './dmaOps';

const GiB = 2 ** 30;

function scenarioOf(value: Record<string, unknown> = {}): Scenario {
  const r = loadRunnableScenario({ value: { name: 'dma', ...value } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.scenario;
}

/** An ops environment whose guest is the stack the stack builder makes for the scenario. */
function stackEnv(value: Record<string, unknown> = {}): OpsEnvironment {
  const scenario = scenarioOf(value);
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const stack = buildStack(sim, scenario, {});
  return { ...createHostEnvironment(scenario, sim.costs), guest: () => ({ nowNs: sim.now, device: (n) => stack.device(n) }) };
}

/** An ops environment whose device nvme0 sits behind dma-iommu over a fake guest IOMMU driver. */
function iommuEnv(opts: { reserveLow4G?: boolean; masks?: number } = {}) {
  const scenario = scenarioOf();
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const vcpus = new VcpuSet('vm0', 1);
  const driver = new FakeGuestIommuDriver(true, false, 0, 2 ** 48 - 1, opts.reserveLow4G === true ? [{ start: 0, last: 4 * GiB - 1 }] : []);
  const dma = new IommuDmaDomain(
    sim,
    driver,
    { mode: 'strict', cpus: 1, perCpuSize: 256, perCpuTimeoutNs: 1e7, singleSize: 32768, singleTimeoutNs: 1e9, forcedac: false },
    sim.costs,
    vcpus,
  );
  const dev = new DmaDevice('nvme0', opts.masks ?? 32, opts.masks ?? 32, false);
  const found = { vm: { config: scenario.vms[0]!, vcpus }, device: { dev, dma } };
  const env: OpsEnvironment = {
    ...createHostEnvironment(scenario, sim.costs),
    guest: () => ({ nowNs: sim.now, device: (n) => (n === 'nvme0' ? found : undefined) }),
  };
  return { env, dev, dma, driver };
}

function call(env: OpsEnvironment, op: string, args: Record<string, unknown>): OpOutcome {
  return runOpStep(env, op, args);
}

function ledger(env: OpsEnvironment, device = 'nvme0'): DmaMappingLedger {
  const l = env.instances().find((i) => i instanceof DmaMappingLedger && i.device === device);
  if (l === undefined) throw new Error('no ledger');
  return l as DmaMappingLedger;
}

describe('dma.* ops: a device that is not in the scenario is ENODEV', () => {
  it.each([
    ['dma.map', { size: 4096 }],
    ['dma.unmap', { dmaAddr: 4096, size: 4096 }],
    ['dma.allocCoherent', { size: 4096 }],
    ['dma.setMask', { bits: 64 }],
  ])('%s', (op, args) => {
    const o = call(stackEnv(), op, { device: 'ghost', ...args });
    expect(o).toMatchObject({ ok: false, errno: 'ENODEV', ret: null, lane: 'dma.ghost' });
  });
});

describe('dma.map and dma.allocCoherent', () => {
  it('dma-direct: the DMA address is the guest-physical address, sub-page offset included', () => {
    const env = stackEnv();
    expect(call(env, 'dma.map', { device: 'nvme0', size: 100, gpa: '0x10000123' })).toMatchObject({ ok: true, ret: 0x1000_0123 });
  });

  it('picks distinct page-aligned buffers above 16 MiB when no gpa is given', () => {
    const env = stackEnv();
    const a = call(env, 'dma.map', { device: 'nvme0', size: 5000 }).ret as number;
    const b = call(env, 'dma.allocCoherent', { device: 'nvme0', size: 4096 }).ret as number;
    expect(a).toBe(16 * 2 ** 20);
    expect(b).toBe(a + 8192);
  });

  it('costs simulated time on vCPU 0 and is drawn on the device lane', () => {
    const o = call(stackEnv(), 'dma.map', { device: 'nvme0', size: 4096 });
    expect(o.costNs).toBe(resolveCostTable().guestDmaMapNs);
    expect(o.lane).toBe('dma.nvme0');
  });

  it('dma-iommu: maps use the streaming mask, coherent allocations the coherent mask', () => {
    const { env } = iommuEnv({ reserveLow4G: true });
    expect(call(env, 'dma.setMask', { device: 'nvme0', bits: 64, coherent: false })).toMatchObject({ ok: true, ret: 64 });
    const mapped = call(env, 'dma.map', { device: 'nvme0', size: 4096 });
    expect(mapped.ok).toBe(true);
    expect(mapped.ret as number).toBeGreaterThanOrEqual(4 * GiB);
    // The coherent mask is still 32 bits and nothing lies below 4 GiB (reference 003).
    expect(call(env, 'dma.allocCoherent', { device: 'nvme0', size: 4096 })).toMatchObject({ ok: false, errno: 'ENOMEM', ret: null });
    expect(ledger(env).liveMappings).toBe(1);
    call(env, 'dma.setMask', { device: 'nvme0', bits: 64 });
    expect(call(env, 'dma.allocCoherent', { device: 'nvme0', size: 4096 }).ok).toBe(true);
  });

  it('a failed map leaves the ledger as it was (no buffer consumed)', () => {
    const { env } = iommuEnv({ reserveLow4G: true });
    call(env, 'dma.setMask', { device: 'nvme0', bits: 64 });
    call(env, 'dma.map', { device: 'nvme0', size: 4096 });
    const before = ledger(env).snapshot();
    call(env, 'dma.setMask', { device: 'nvme0', bits: 32 });
    expect(call(env, 'dma.map', { device: 'nvme0', size: 4096 }).errno).toBe('ENOMEM');
    expect(ledger(env).snapshot()).toEqual(before);
  });
});

describe('dma.unmap must name a live mapping (dma-debug rules)', () => {
  it('refuses an address never mapped, a wrong size and a double unmap with EINVAL, changing nothing', () => {
    const { env, driver } = iommuEnv({ masks: 64 });
    const addr = call(env, 'dma.map', { device: 'nvme0', size: 4096 }).ret as number;
    const before = ledger(env).snapshot();
    expect(call(env, 'dma.unmap', { device: 'nvme0', dmaAddr: addr + 4096, size: 4096 })).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(call(env, 'dma.unmap', { device: 'nvme0', dmaAddr: addr, size: 8192 })).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(ledger(env).snapshot()).toEqual(before);
    expect(driver.mapped.size).toBe(1);
    expect(call(env, 'dma.unmap', { device: 'nvme0', dmaAddr: addr, size: 4096 })).toMatchObject({ ok: true, errno: null });
    expect(driver.mapped.size).toBe(0);
    expect(call(env, 'dma.unmap', { device: 'nvme0', dmaAddr: addr, size: 4096 })).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(ledger(env).mismatches).toBe(3);
  });

  it('unmaps an offset buffer by the address the map returned', () => {
    const { env, driver } = iommuEnv({ masks: 64 });
    const addr = call(env, 'dma.map', { device: 'nvme0', size: 400, gpa: 0x2000_0f00 }).ret as number;
    expect(addr % 4096).toBe(0xf00);
    // 0xf00 + 400 crosses into the next page: two pages mapped (iova_align(size + offset)).
    expect([...driver.mapped.values()]).toEqual([8192]);
    expect(call(env, 'dma.unmap', { device: 'nvme0', dmaAddr: addr, size: 400 }).ok).toBe(true);
    expect(driver.mapped.size).toBe(0);
  });
});

describe('dma.setMask', () => {
  it('sets both masks by default (dma_set_mask_and_coherent), only the streaming one with coherent=false', () => {
    const { env, dev } = iommuEnv();
    call(env, 'dma.setMask', { device: 'nvme0', bits: 48 });
    expect([dev.dmaMaskBits, dev.coherentMaskBits]).toEqual([48, 48]);
    call(env, 'dma.setMask', { device: 'nvme0', bits: 64, coherent: false });
    expect([dev.dmaMaskBits, dev.coherentMaskBits]).toEqual([64, 48]);
  });

  it('dma-iommu accepts any mask (no ->dma_supported)', () => {
    expect(call(iommuEnv().env, 'dma.setMask', { device: 'nvme0', bits: 12 })).toMatchObject({ ok: true, ret: 12 });
  });

  it('dma-direct refuses a mask below ZONE_DMA with EIO and changes nothing (s390: 31 bits, x86: 24)', () => {
    const s390 = stackEnv({ host: { arch: 's390x' } });
    expect(call(s390, 'dma.setMask', { device: 'nvme0', bits: 30 })).toMatchObject({ ok: false, errno: 'EIO' });
    expect(s390.guest!().device('nvme0')!.device.dev.dmaMaskBits).toBe(64);
    expect(call(s390, 'dma.setMask', { device: 'nvme0', bits: 31 }).ok).toBe(true);
    const x86 = stackEnv();
    expect(call(x86, 'dma.setMask', { device: 'nvme0', bits: 24 }).ok).toBe(true);
    expect(call(x86, 'dma.setMask', { device: 'nvme0', bits: 23 }).errno).toBe('EIO');
  });
});

describe('dma.* ops in an ops script', () => {
  function script(steps: unknown[]) {
    const r = loadRunnableScenario({ value: { name: 's', workload: { kind: 'ops', steps } } });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    return new ScenarioRun(r.scenario).runToEnd();
  }

  it('builds the guest on the first dma.* step and reports its DMA metrics', () => {
    const r = script([
      { op: 'dma.setMask', args: { device: 'nvme0', bits: 64 } },
      { op: 'dma.map', args: { device: 'nvme0', size: 4096, dir: 'to-device' } },
      { op: 'dma.allocCoherent', args: { device: 'nvme0', size: 4096 } },
    ]);
    expect(r.ops.map((o) => o.ok)).toEqual([true, true, true]);
    expect(r.metrics['dma.maps']).toBe(2);
    expect(r.metrics['dma.liveMappingsPeak']).toBe(2);
    // Booting the vIOMMU-less guest mapped its RAM into its container.
    expect(r.metrics['vfio.bootMs']).toBeGreaterThan(0);
  });

  it('does not build the guest for a host-only script', () => {
    const r = script([{ op: 'vfio.map', args: { iova: 0, vaddr: 0x1000_0000, size: 4096 } }]);
    expect(r.metrics['dma.maps']).toBeUndefined();
    expect(r.metrics['vfio.bootMs']).toBeUndefined();
  });

  it('rejects bad arguments before running, by path', () => {
    const r = loadRunnableScenario({
      value: { name: 's', workload: { kind: 'ops', steps: [{ op: 'dma.map', args: { device: 'nvme0', size: 0, dir: 'sideways' } }] } },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(expect.arrayContaining([expect.stringMatching(/args\.size: /), expect.stringMatching(/args\.dir: /)]));
  });

  it('needs the guest accessor: an environment without one is a programmer error', () => {
    expect(() => call(createHostEnvironment(scenarioOf(), resolveCostTable()), 'dma.map', { device: 'nvme0', size: 4096 })).toThrow(
      /guest/,
    );
  });
});

interface Model {
  live: { dmaAddr: number; size: number; span: number }[];
  streamingBits: number;
  coherentBits: number;
}
interface Real {
  env: OpsEnvironment;
  driver: FakeGuestIommuDriver;
}

function checkAfter(m: Model, r: Real): void {
  const l = ledger(r.env);
  expect(l.checkInvariants()).toEqual([]);
  expect(l.liveMappings).toBe(m.live.length);
  // Strict dma-iommu: the guest page table holds exactly the live mappings.
  expect(r.driver.mapped.size).toBe(m.live.length);
}

class MapCmd implements fc.Command<Model, Real> {
  constructor(
    readonly size: number,
    readonly coherent: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const before = r.env.instances().length > 0 ? ledger(r.env).snapshot() : null;
    const o = this.coherent
      ? call(r.env, 'dma.allocCoherent', { device: 'nvme0', size: this.size })
      : call(r.env, 'dma.map', { device: 'nvme0', size: this.size });
    const span = Math.ceil(this.size / 4096) * 4096;
    if (o.ok) {
      const addr = o.ret as number;
      const bits = this.coherent ? m.coherentBits : m.streamingBits;
      expect(addr).toBeGreaterThan(0);
      expect(addr + span - 1).toBeLessThanOrEqual(Math.min(2 ** bits - 1, 2 ** 48 - 1));
      for (const x of m.live) expect(addr + span <= x.dmaAddr || x.dmaAddr + x.span <= addr).toBe(true);
      m.live.push({ dmaAddr: addr, size: this.size, span });
    } else {
      expect(o.errno).toBe('ENOMEM');
      if (before !== null) expect(ledger(r.env).snapshot()).toEqual(before);
    }
    checkAfter(m, r);
  }
  toString = () => `${this.coherent ? 'alloc' : 'map'}(${this.size})`;
}

class UnmapLiveCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.live.length > 0;
  run(m: Model, r: Real): void {
    const [x] = m.live.splice(this.pick % m.live.length, 1);
    expect(call(r.env, 'dma.unmap', { device: 'nvme0', dmaAddr: x!.dmaAddr, size: x!.size }).ok).toBe(true);
    checkAfter(m, r);
  }
  toString = () => `unmapLive(${this.pick})`;
}

class UnmapBogusCmd implements fc.Command<Model, Real> {
  constructor(
    readonly addr: number,
    readonly size: number,
  ) {}
  check = (m: Readonly<Model>) => !m.live.some((x) => x.dmaAddr === this.addr && x.size === this.size) && m.live.length > 0;
  run(m: Model, r: Real): void {
    const before = ledger(r.env).snapshot();
    expect(call(r.env, 'dma.unmap', { device: 'nvme0', dmaAddr: this.addr, size: this.size }).errno).toBe('EINVAL');
    expect(ledger(r.env).snapshot()).toEqual(before);
    checkAfter(m, r);
  }
  toString = () => `unmapBogus(${this.addr}, ${this.size})`;
}

class SetMaskCmd implements fc.Command<Model, Real> {
  constructor(
    readonly bits: number,
    readonly coherent: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    expect(call(r.env, 'dma.setMask', { device: 'nvme0', bits: this.bits, coherent: this.coherent }).ret).toBe(this.bits);
    m.streamingBits = this.bits;
    if (this.coherent) m.coherentBits = this.bits;
  }
  toString = () => `setMask(${this.bits}, ${this.coherent})`;
}

describe('dma.* ops against a reference model (fast-check)', () => {
  it('keeps live mappings disjoint, inside the mask, never at 0, and unmaps exactly what was mapped', () => {
    const size = fc.integer({ min: 1, max: 40_000 });
    const commands = [
      fc.tuple(size, fc.boolean()).map(([s, c]) => new MapCmd(s, c)),
      fc.nat().map((p) => new UnmapLiveCmd(p)),
      fc.tuple(fc.integer({ min: 1, max: 2 ** 40 }), size).map(([a, s]) => new UnmapBogusCmd(a, s)),
      fc.tuple(fc.integer({ min: 16, max: 64 }), fc.boolean()).map(([b, c]) => new SetMaskCmd(b, c)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const { env, driver } = iommuEnv();
        fc.modelRun(() => ({ model: { live: [], streamingBits: 32, coherentBits: 32 }, real: { env, driver } }), cmds);
      }),
      { numRuns: 150 },
    );
  });
});

describe('a repeated dma.* step', () => {
  it('takes the sum of its calls, not a pile-up of each call waiting for the earlier ones again', () => {
    const run = (count: number) => {
      const loaded = loadRunnableScenario({
        value: {
          name: 'repeat',
          vms: [{ viommu: { model: 'intel-iommu' }, guest: { dmaMode: 'strict' } }],
          // The second step starts when the repeated one is over: its start time is the repeat's cost.
          workload: {
            kind: 'ops',
            steps: [
              { op: 'dma.map', args: { device: 'nvme0', size: 4096 }, repeat: { count } },
              { op: 'dma.setMask', args: { device: 'nvme0', bits: 64 } },
            ],
          },
        },
      });
      if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
      return new ScenarioRun(loaded.scenario).runToEnd().metrics['sim.simulatedMs']!;
    };
    const one = run(1);
    const hundred = run(100);
    expect(hundred).toBeGreaterThan(50 * one);
    expect(hundred).toBeLessThan(150 * one);
  });
});
