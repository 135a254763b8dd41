// Versions imply the switches their releases changed (each rule against its source's release
// boundary), a switch the scenario sets wins, and loading applies both.
import { describe, expect, it } from 'vitest';
import { loadScenario } from './loadScenario';
import { compareVersions, impliedSwitches, parseVersion, withVersionDefaults } from './versions';

function implied(raw: unknown): Record<string, unknown> {
  return Object.fromEntries(impliedSwitches(raw).map((i) => [i.path, i.value]));
}

const s390 = (qemu: string, extra: Record<string, unknown> = {}) => ({
  name: 'x',
  host: { arch: 's390x', qemu: { version: qemu, ...extra } },
  vms: [{ viommu: { model: 's390-zpci' } }],
});

describe('versions', () => {
  it('parses and orders versions numerically (6.10 after 6.9)', () => {
    expect(parseVersion('6.10')).toEqual([6, 10, 0]);
    expect(parseVersion('8.2.1')).toEqual([8, 2, 1]);
    expect(parseVersion('6.x')).toBeNull();
    expect(compareVersions(parseVersion('6.10')!, parseVersion('6.9')!)).toBeGreaterThan(0);
  });

  it('QEMU s390 RPCIT: one pass before 7.2, a second pass from 7.2; coalesced unmaps and the aperture shrink from 8.0', () => {
    expect(implied(s390('7.1'))).toMatchObject({
      'vms.0.viommu.s390.rpcitSecondPass': false,
      'vms.0.viommu.s390.coalescedUnmap': false,
      'vms.0.viommu.s390.apertureRestriction': false,
      'vms.0.viommu.s390.apertureRestrictionIsm': false,
    });
    expect(implied(s390('7.2'))).toMatchObject({ 'vms.0.viommu.s390.rpcitSecondPass': true, 'vms.0.viommu.s390.coalescedUnmap': false });
    expect(implied(s390('8.0'))).toMatchObject({ 'vms.0.viommu.s390.coalescedUnmap': true, 'vms.0.viommu.s390.apertureRestriction': true });
  });

  it('QEMU 10.0 keeps passthrough windows whole on s390-ccw-virtio-10.0 (relaxed translation) but not on older machine types; ISM always shrinks', () => {
    expect(implied(s390('10.0'))).toMatchObject({
      'vms.0.viommu.s390.apertureRestriction': false,
      'vms.0.viommu.s390.apertureRestrictionIsm': true,
    });
    expect(implied(s390('10.0', { machine: 's390-ccw-virtio-9.2' }))).toMatchObject({ 'vms.0.viommu.s390.apertureRestriction': true });
  });

  it('QEMU counts dma_avail only from 5.2, with host Linux 5.10 or newer, and not with the iommufd backend', () => {
    expect(implied(s390('5.1'))['vms.0.viommu.s390.countsDmaAvail']).toBe(false);
    expect(implied(s390('5.2'))['vms.0.viommu.s390.countsDmaAvail']).toBe(true);
    expect(
      implied({ ...s390('9.0'), host: { arch: 's390x', kernelVersion: '5.4', qemu: { version: '9.0' } } })[
        'vms.0.viommu.s390.countsDmaAvail'
      ],
    ).toBe(false);
    expect(
      implied({ ...s390('9.0'), host: { arch: 's390x', qemu: { version: '9.0' }, vfio: { backend: 'iommufd' } } })[
        'vms.0.viommu.s390.countsDmaAvail'
      ],
    ).toBe(false);
  });

  it('guest Linux: the s390 DMA code before 6.7, dma-iommu with the retry from 6.7; NVMe clamp from 6.4; magazines of 128 before 6.0', () => {
    const guest = (v: string) => ({ name: 'x', host: { arch: 's390x' }, vms: [{ guest: { kernelVersion: v } }] });
    expect(implied(guest('6.6'))).toMatchObject({
      'vms.0.guest.dmaMode': 's390-legacy',
      'vms.0.viommu.s390.globalFlushRetry': false,
      'vms.0.guest.nvmeOptMappingClamp': true,
    });
    expect(implied(guest('6.7'))['vms.0.guest.dmaMode']).toBeUndefined();
    expect(implied(guest('6.7'))['vms.0.viommu.s390.globalFlushRetry']).toBe(true);
    expect(implied(guest('6.3'))['vms.0.guest.nvmeOptMappingClamp']).toBe(false);
    expect(implied(guest('5.19'))['vms.0.guest.iovaMagazineSize']).toBe(128);
    expect(implied(guest('6.0'))['vms.0.guest.iovaMagazineSize']).toBe(127);
  });

  it('x86: virtio-iommu deferred flush from Linux 6.8; caching mode forces strict from 5.11; aw-bits by QEMU release and machine type', () => {
    const x86 = (qemu: string, kernel: string, machine?: string) => ({
      name: 'x',
      host: { qemu: { version: qemu, ...(machine === undefined ? {} : { machine }) } },
      vms: [{ guest: { kernelVersion: kernel } }],
    });
    expect(implied(x86('10.0', '6.7'))['vms.0.viommu.virtio.deferredFlush']).toBe(false);
    expect(implied(x86('10.0', '6.8'))['vms.0.viommu.virtio.deferredFlush']).toBe(true);
    expect(implied(x86('10.0', '6.7'))['vms.0.viommu.virtio.iotlbSyncMap']).toBe(false);
    expect(implied(x86('10.0', '6.8'))['vms.0.viommu.virtio.iotlbSyncMap']).toBe(true);
    expect(implied(x86('10.0', '5.10'))['vms.0.viommu.intel.cachingModeForcesStrict']).toBe(false);
    expect(implied(x86('10.0', '5.11'))['vms.0.viommu.intel.cachingModeForcesStrict']).toBe(true);
    expect(implied(x86('9.2', '6.12'))['vms.0.viommu.intel.awBits']).toBe(39);
    expect(implied(x86('10.0', '6.12'))['vms.0.viommu.intel.awBits']).toBe(48);
    expect(implied(x86('10.0', '6.12', 'pc-q35-9.1'))['vms.0.viommu.intel.awBits']).toBe(39);
    expect(implied(x86('8.2', '6.12'))['vms.0.viommu.virtio.awBits']).toBe(64);
    expect(implied(x86('9.0', '6.12'))['vms.0.viommu.virtio.awBits']).toBe(39);
  });

  it('host Linux: type1 checks the IOVA list from 5.4 (a scenario-level switch, implied once and never over an explicit value)', () => {
    const host = (kernel: string, vfio: object = {}) => ({ name: 'x', host: { kernelVersion: kernel, vfio }, vms: [{}, {}] });
    expect(implied(host('4.19'))['host.vfio.iovaRangeCheck']).toBe(false);
    expect(implied(host('5.4'))['host.vfio.iovaRangeCheck']).toBe(true);
    expect(impliedSwitches(host('4.19')).filter((i) => i.path === 'host.vfio.iovaRangeCheck')).toHaveLength(1);
    expect(impliedSwitches(host('4.19', { iovaRangeCheck: true })).find((i) => i.path === 'host.vfio.iovaRangeCheck')!.overridden).toBe(
      true,
    );
    const filled = withVersionDefaults(host('4.19')) as { host: { vfio: { iovaRangeCheck: boolean } } };
    expect(filled.host.vfio.iovaRangeCheck).toBe(false);
    expect((withVersionDefaults(host('4.19', { iovaRangeCheck: true })) as typeof filled).host.vfio.iovaRangeCheck).toBe(true);
  });

  it('pseries DDW page sizes: 4K|64K before QEMU 4.2 or on pseries-4.1; 2M|16M added after; 2M reported from 7.1', () => {
    const ppc = (qemu: string, machine?: string) => ({
      name: 'x',
      host: { arch: 'ppc64le', qemu: { version: qemu, ...(machine === undefined ? {} : { machine }) } },
    });
    expect(implied(ppc('4.1'))['vms.0.viommu.spapr.pageShifts']).toEqual([12, 16]);
    expect(implied(ppc('8.0', 'pseries-4.1'))['vms.0.viommu.spapr.pageShifts']).toEqual([12, 16]);
    expect(implied(ppc('7.0'))).toMatchObject({
      'vms.0.viommu.spapr.pageShifts': [12, 16, 21, 24],
      'vms.0.viommu.spapr.queryReports2M': false,
    });
    expect(implied(ppc('7.1'))['vms.0.viommu.spapr.queryReports2M']).toBe(true);
  });

  it('a switch the scenario sets is kept and reported as overridden', () => {
    const raw = { name: 'x', host: { arch: 's390x', qemu: { version: '7.1' } }, vms: [{ viommu: { s390: { rpcitSecondPass: true } } }] };
    const imp = impliedSwitches(raw).find((i) => i.path === 'vms.0.viommu.s390.rpcitSecondPass')!;
    expect(imp).toMatchObject({ value: false, overridden: true });
    expect((withVersionDefaults(raw) as { vms: { viommu: { s390: Record<string, unknown> } }[] }).vms[0]!.viommu.s390).toMatchObject({
      rpcitSecondPass: true,
      coalescedUnmap: false,
    });
    expect(raw.vms[0]!.viommu.s390).toEqual({ rpcitSecondPass: true });
  });

  it('loading applies the implications; --set keeps a version as text; a number is refused with the reason', () => {
    const r = loadScenario({ value: { name: 'x', host: { arch: 's390x' } } }, ['host.qemu.version=7.1']);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.scenario.host.qemu.version).toBe('7.1');
      expect(r.scenario.vms[0]!.viommu.s390.rpcitSecondPass).toBe(false);
    }
    const bad = loadScenario({ value: { name: 'x', vms: [{ guest: { kernelVersion: 6.1 } }] } });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'vms.0.guest.kernelVersion: must be a version written as a string, like "6.10" (a number cannot tell 6.1 from 6.10)',
    ]);
  });

  it('refuses machine types of another architecture or newer than the QEMU release, and iommufd before host Linux 6.2', () => {
    const r = loadScenario({ value: { name: 'x', host: { qemu: { version: '8.0', machine: 'pseries-9.0' } } } });
    expect(r.ok ? [] : r.problems).toEqual([
      'host.qemu.machine: "pseries-9.0" is not a machine type of x86_64 (pc-q35-X.Y)',
      'host.qemu.machine: QEMU 8.0 has no machine type "pseries-9.0" (newer than the release)',
    ]);
    const fd = loadScenario({ value: { name: 'x', host: { kernelVersion: '6.1', vfio: { backend: 'iommufd' } } } });
    expect(fd.ok ? [] : fd.problems).toEqual(['host.vfio.backend: iommufd needs host Linux 6.2 or newer; host.kernelVersion is 6.1']);
  });

  it('a validated scenario lists what its versions filled in, and read back with another version implies them again', () => {
    const first = loadScenario({
      value: { name: 'x', host: { arch: 's390x', qemu: { version: '7.1' } }, vms: [{ viommu: { s390: { coalescedUnmap: true } } }] },
    });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.scenario.impliedByVersions).toContain('vms.0.viommu.s390.rpcitSecondPass');
    expect(first.scenario.impliedByVersions).not.toContain('vms.0.viommu.s390.coalescedUnmap'); // set by the scenario
    expect(first.scenario.vms[0]!.viommu.s390.rpcitSecondPass).toBe(false);
    // The stored form, loaded again with QEMU 7.2: the implied switch follows, the explicit one stays.
    const again = loadScenario({ value: JSON.parse(JSON.stringify(first.scenario)) as unknown }, ['host.qemu.version=7.2']);
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(again.scenario.vms[0]!.viommu.s390.rpcitSecondPass).toBe(true);
    expect(again.scenario.vms[0]!.viommu.s390.coalescedUnmap).toBe(true);
    // Reading back is idempotent, and nothing the stored scenario set itself is reported as implied.
    const same = loadScenario({ value: JSON.parse(JSON.stringify(first.scenario)) as unknown });
    expect(same.ok && same.scenario).toEqual(first.scenario);
    expect(impliedSwitches(first.scenario).find((i) => i.path === 'vms.0.viommu.s390.rpcitSecondPass')?.overridden).toBe(false);
    expect(impliedSwitches(first.scenario).find((i) => i.path === 'vms.0.viommu.s390.coalescedUnmap')?.overridden).toBe(true);
  });

  it('--set of an implied switch makes it explicit; a bad impliedByVersions list is refused with its path', () => {
    const first = loadScenario({ value: { name: 'x', host: { arch: 's390x', qemu: { version: '7.1' } } } });
    if (!first.ok) throw new Error(first.problems.join('; '));
    const pinned = loadScenario({ value: first.scenario }, ['vms.0.viommu.s390.rpcitSecondPass=false', 'host.qemu.version=7.2']);
    expect(pinned.ok && pinned.scenario.vms[0]!.viommu.s390.rpcitSecondPass).toBe(false);
    expect(pinned.ok && pinned.scenario.impliedByVersions).not.toContain('vms.0.viommu.s390.rpcitSecondPass');
    const bad = loadScenario({ value: { name: 'x', impliedByVersions: ['vms.0.viommu.s390.rpcitSecondPass', 'workload.kind'] } });
    expect(bad.ok ? [] : bad.problems).toEqual(['impliedByVersions.1: "workload.kind" is not a switch a version implies']);
    const notList = loadScenario({ value: { name: 'x', impliedByVersions: 3 } });
    expect(notList.ok ? [] : notList.problems[0]).toMatch(/^impliedByVersions: expected a list/);
  });
});
