// The field-report presets: every claim holds, the failing variant prints the report's message on
// a log lane (the kernel's / QEMU's / the VMM's wording, errno as printed), the failure's cause
// chain reaches that line, and `pcilab explain` on the message names the preset.
import { describe, expect, it } from 'vitest';
import { FIELD_PRESETS } from './presetsField';
import { FIELD2_PRESETS } from './presetsField2';
import { presetPlan } from '../run/presetPlan';
import { PlanRun } from '../run/planRun';
import { explainLogLine } from '../run/logExplain';

/** Per preset: messages the run must print (exact lines on a log lane) and the one a user pastes. */
/**
 * `linked`: a printed line and a failure are tied by a cause chain. Not for virtio-mem: QEMU warns
 * at registration, before anything fails, and the failed populate prints nothing.
 */
const EXPECTED: Record<string, { printed: readonly string[]; pasted: string; linked?: false }> = {
  'field-memlock-too-small': {
    printed: [
      'vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded',
      'vfio nvme0: failed to setup container for group 0: memory listener initialization failed: Region pc.ram: vfio_container_dma_map(0x55d0c0de0000, 0x0, 0xc0000000, 0x7f0000000000) = -12 (Cannot allocate memory)',
    ],
    pasted: 'vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded',
  },
  'field-viommu-memlock-per-device': {
    printed: [
      'vfio_pin_pages_remote: RLIMIT_MEMLOCK (9663676416) exceeded',
      'vfio gpu1: failed to setup container for group 0: memory listener initialization failed: Region pc.ram: vfio_container_dma_map(0x55d0c0de0000, 0x0, 0xc0000000, 0x7f0000000000) = -12 (Cannot allocate memory)',
    ],
    pasted:
      'vfio 0000:xx:00.0: failed to setup container for group N: memory listener initialization failed: Region ram-node0: vfio_container_dma_map(...) = -12 (Cannot allocate memory)',
  },
  'field-iommufd-bar-memlock': {
    printed: [
      'warning: vfio_container_dma_map(0x55d0c0de0000, 0x380000000000, 0x800000000, 0x7e0000000000) = -12 (Cannot allocate memory)',
      'gpu0: PCI peer-to-peer transactions on BARs are not supported.',
      'warning: IOMMU_IOAS_MAP failed: Bad address, PCI BAR?',
      'warning: vfio_container_dma_map(0x55d0c0de0000, 0x380000000000, 0x800000000, 0x7e0000000000) = -14 (Bad address)',
    ],
    pasted:
      'qemu-system-x86_64: warning: vfio_container_dma_map(0x55d0c0de0000, 0x380000000000, 0x800000000, 0x7e0000000000) = -12 (Cannot allocate memory)',
  },
  'field-second-map-eexist': {
    printed: ['VFIO_MAP_DMA failed: File exists'],
    pasted: 'VfioMapRegion(DmaMap(IommuDmaMap(Error(17))))',
  },
  'field-iova-outside-ranges': {
    printed: [
      'VFIO_MAP_DMA failed: Invalid argument',
      'DMAR: intel_iommu_map: iommu width (39) is not sufficient for the mapped address (8801000000)',
      'VFIO_MAP_DMA failed: Bad address',
    ],
    pasted: 'VFIO_MAP_DMA: -22',
  },
  'field-virtio-mem-entries': {
    printed: [
      "warning: vfio_register_ram_discard_listener: possibly running out of DMA mappings. E.g., try increasing the 'block-size' of virtio-mem devies. Maximum possible DMA mappings: 65535, Maximum possible memslots: 32764",
    ],
    linked: false,
    pasted:
      "vfio_register_ram_discard_listener: possibly running out of DMA mappings. E.g., try increasing the 'block-size' of virtio-mem devices. Maximum possible DMA mappings: 65535",
  },
};

function logLines(run: PlanRun): { lines: string[]; linked: number } {
  const tl = run.timelineColumns();
  const lines: string[] = [];
  const logEvents = new Set<number>();
  for (let i = 0; i < tl.count; i++) {
    const lane = tl.lanes[tl.lane[i]!]!;
    if (lane.group !== 'log') continue;
    lines.push(tl.strings[tl.a0[i]!]!);
    logEvents.add(i);
  }
  // Failures and log lines linked by a cause chain: a failure caused through what the kernel
  // printed, or a line the caller printed about a failure.
  let linked = 0;
  for (let i = 0; i < tl.count; i++) {
    const failure = tl.kinds[tl.kind[i]!]!.failure;
    if (!failure && !logEvents.has(i)) continue;
    for (let c = tl.cause[i]!, hops = 0; c >= 0 && hops < 16; c = tl.cause[c]!, hops++) {
      if (failure ? logEvents.has(c) : tl.kinds[tl.kind[c]!]!.failure) {
        linked++;
        break;
      }
    }
  }
  return { lines, linked };
}

describe.each([...FIELD_PRESETS, ...FIELD2_PRESETS].map((p) => [p.id, p] as const))('%s', (id, preset) => {
  it('holds every claim, prints the report message and is what explain offers', () => {
    const planned = presetPlan(preset);
    if (!planned.ok) throw new Error(planned.problems.join('; '));
    const run = new PlanRun(planned.plan);
    const result = run.runToEnd();
    const failed = result.claims.filter((c) => !c.holds).map((c) => `${c.id}: measured ${String(c.measured)}`);
    expect(failed).toEqual([]);
    const expected = EXPECTED[id];
    expect(expected, `EXPECTED entry for ${id}`).toBeDefined();
    const { lines, linked } = logLines(run);
    for (const m of expected!.printed) expect(lines).toContain(m);
    if (expected!.linked !== false) expect(linked).toBeGreaterThan(0);
    expect(explainLogLine(expected!.pasted).map((e) => e.preset)).toContain(id);
    for (const m of expected!.printed) expect(explainLogLine(m).length, m).toBeGreaterThan(0);
  });
});

describe('QEMU before 9.0 (no base container, no iommufd backend of its own)', () => {
  const linesOf = (id: string, overrides: string[]): string[] => {
    const planned = presetPlan(
      [...FIELD_PRESETS, ...FIELD2_PRESETS].find((p) => p.id === id)!,
      overrides,
    );
    if (!planned.ok) throw new Error(planned.problems.join('; '));
    const run = new PlanRun({ ...planned.plan, variants: planned.plan.variants.slice(0, 1) });
    run.runToEnd();
    return logLines(run).lines;
  };

  it('names a failed map vfio_dma_map(...), as hw/vfio/common.c did until b08501a999e2 (QEMU 9.0)', () => {
    const lines = linesOf('field-memlock-too-small', ['host.qemu.version=8.2.0']);
    // The legacy container's own report comes first (vfio_legacy_dma_map, QEMU 5.2 to 9.2).
    expect(lines).toContain('VFIO_MAP_DMA failed: Cannot allocate memory');
    const failed = lines.find((l) => l.includes('memory listener initialization failed'));
    expect(failed).toContain('Region pc.ram: vfio_dma_map(0x55d0c0de0000, 0x0, 0xc0000000, 0x7f0000000000) = -12 (Cannot allocate memory)');
    expect(lines.join('\n')).not.toContain('vfio_container_dma_map');
    expect(explainLogLine(failed!).map((e) => e.preset)).toContain('field-memlock-too-small');
  });

  it("reaches an iommufd host through the VFIO compatibility container: a BAR's EFAULT prints the container's line only", () => {
    const old = linesOf('field-iommufd-bar-memlock', ['host.qemu.version=8.2.0', 'host.iommufd.pfnmap=refuse']);
    expect(old.slice(0, 2)).toEqual([
      'VFIO_MAP_DMA failed: Bad address',
      'vfio_dma_map(0x55d0c0de0000, 0x380000000000, 0x800000000, 0x7e0000000000) = -14 (Bad address)',
    ]);
    expect(old.join('\n')).not.toContain('IOMMU_IOAS_MAP');
    // QEMU 9.0 has its own iommufd backend (backends/iommufd.c): iommufd_backend_map_dma warns first.
    const native = linesOf('field-iommufd-bar-memlock', ['host.qemu.version=9.0.0', 'host.iommufd.pfnmap=refuse']);
    expect(native.slice(0, 2)).toEqual([
      'warning: IOMMU_IOAS_MAP failed: Bad address, PCI BAR?',
      'vfio_container_dma_map(0x55d0c0de0000, 0x380000000000, 0x800000000, 0x7e0000000000) = -14 (Bad address)',
    ]);
  });

  it('prints nothing of the backend from QEMU 10.0 (889695f8f3c1), and the legacy report up to 9.2', () => {
    const q92 = linesOf('field-iommufd-bar-memlock', [
      'host.qemu.version=9.2.0',
      'host.vfio.backend=type1v2',
      'host.vfio.memlockBytes=1073741824',
    ]);
    const q10 = linesOf('field-iommufd-bar-memlock', [
      'host.qemu.version=10.0.0',
      'host.vfio.backend=type1v2',
      'host.vfio.memlockBytes=1073741824',
    ]);
    expect(q92.filter((l) => l.startsWith('VFIO_MAP_DMA failed')).length).toBeGreaterThan(0);
    expect(q10.filter((l) => l.startsWith('VFIO_MAP_DMA failed'))).toEqual([]);
  });
});
