import { describe, expect, it } from 'vitest';
import { EBUSY, EINVAL, ENOMEM, EPERM } from '../base/errno';
import { defaultIommuGeometry, type IommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
} from './vfioContainerApi';
import { VfioType1Container } from './vfioType1';
import { commonPageSizes } from './vfioDomainAttach';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';

const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const X86 = defaultIommuGeometry('x86_64');

function setup(o: { geometry?: IommuGeometry; irqRemapping?: boolean; allowUnsafe?: boolean; faults?: FaultInjector } = {}) {
  const process = new HostProcess({ memlockBytes: null, capIpcLock: false, backing: 'hugepages-2m', userAddressEnd: 2 ** 47 });
  const c = new VfioType1Container('c0', 2, {
    process,
    costs: resolveCostTable(),
    faults: o.faults ?? new FaultInjector(),
    dmaEntryLimit: 65535,
    disableHugepages: false,
    geometry: o.geometry ?? X86,
    irqRemapping: o.irqRemapping ?? true,
    allowUnsafeInterrupts: o.allowUnsafe ?? false,
    initialDevice: 'nvme0',
  });
  return { c, process };
}

function expectRefused(c: VfioType1Container, call: () => number, errno: number): void {
  const before = c.snapshot();
  expect(call()).toBe(errno);
  expect(c.snapshot()).toEqual(before);
  expect(c.checkInvariants()).toEqual([]);
}

function ptesPeak(c: VfioType1Container): number {
  const m: MetricMap = {};
  c.collectMetrics(m);
  return m['vfio.hostPtesPeak']!;
}

describe('GET_INFO (vfio_iommu_type1_get_info)', () => {
  it('flags = PGSIZES | CAPS and iova_pgsizes is the page size bitmap (x86: 4K|2M|1G)', () => {
    const info = setup().c.getInfo();
    expect(info.flags).toBe(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    expect(info.iovaPgsizes).toBe(0x40201000);
  });
  it('DMA_AVAIL reports the entries free now', () => {
    const { c } = setup();
    expect(c.mapDma(2 * MiB, 2 * MiB, 2 * MiB, RW)).toBe(0);
    expect(c.getInfo().dmaAvail).toBe(65534);
  });
  it('IOVA_RANGE = the aperture minus reserved regions, inclusive ends (x86: around the MSI window)', () => {
    expect(setup().c.getInfo().iovaRanges).toEqual([
      { start: 0, end: 0xfedfffff },
      { start: 0xfef00000, end: 2 ** 48 - 1 },
    ]);
  });
  it('sub-PAGE_SIZE page sizes are hidden and PAGE_SIZE advertised instead', () => {
    expect(commonPageSizes([[512, 2 * MiB]])).toEqual([PAGE_SIZE, 2 * MiB]);
  });
});

describe('attaching a device (vfio_iommu_type1_attach_group)', () => {
  it('a device whose aperture leaves out an existing mapping -> EINVAL', () => {
    const { c } = setup();
    expect(c.mapDma(2 ** 40, 2 * MiB, 2 * MiB, RW)).toBe(0);
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', { ...X86, apertureLast: 2 ** 39 - 1 }), EINVAL);
  });
  it('a device whose aperture starts above an existing mapping -> EINVAL', () => {
    const { c } = setup();
    expect(c.mapDma(2 * MiB, 2 * MiB, 2 * MiB, RW)).toBe(0);
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', { ...X86, apertureStart: GiB }), EINVAL);
  });
  it('a device whose aperture is disjoint from the current IOVA space -> EINVAL', () => {
    const { c } = setup({ geometry: { ...X86, apertureLast: GiB - 1 } });
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', { ...X86, apertureStart: 2 * GiB }), EINVAL);
  });
  it('a device with a reserved region over an existing mapping -> EINVAL', () => {
    const { c } = setup();
    expect(c.mapDma(GiB, 2 * MiB, 2 * MiB, RW)).toBe(0);
    const reserved = [...X86.reserved, { start: GiB + MiB, last: GiB + 2 * MiB - 1, kind: 'rmrr' as const }];
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', { ...X86, reserved }), EINVAL);
  });
  it('a device that leaves the IOVA list empty -> EINVAL', () => {
    const { c } = setup();
    const reserved = [{ start: 0, last: 2 ** 48 - 1, kind: 'reserved' as const }];
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', { ...X86, reserved }), EINVAL);
  });
  it('the same device twice -> EINVAL', () => {
    const { c } = setup();
    expectRefused(c, () => c.attachDevice('nvme0'), EINVAL);
  });
  it('no interrupt remapping without allow_unsafe_interrupts -> EPERM', () => {
    const { c } = setup();
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', X86, false), EPERM);
  });
  it('allow_unsafe_interrupts lets a device without interrupt remapping attach', () => {
    const { c } = setup({ allowUnsafe: true });
    expect(c.attachDeviceWithGeometry('gpu0', X86, false)).toBe(0);
  });
  it('EPERM is decided after the IOVA conflict checks', () => {
    const { c } = setup();
    expect(c.mapDma(2 ** 40, 2 * MiB, 2 * MiB, RW)).toBe(0);
    expectRefused(c, () => c.attachDeviceWithGeometry('gpu0', { ...X86, apertureLast: 2 ** 39 - 1 }, false), EINVAL);
  });
  it('while vaddrs are invalid, attach -> EBUSY (it might need to pin)', () => {
    const { c } = setup();
    expect(c.mapDma(2 * MiB, 2 * MiB, 2 * MiB, RW)).toBe(0);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)).toBe(0);
    expectRefused(c, () => c.attachDevice('gpu0'), EBUSY);
  });
  it('an attach narrows the IOVA list to the intersection and cuts out the new reserved regions', () => {
    const { c } = setup();
    const reserved = [...X86.reserved, { start: 0x1000_0000, last: 0x1fff_ffff, kind: 'rmrr' as const }];
    expect(c.attachDeviceWithGeometry('gpu0', { ...X86, apertureLast: 2 ** 39 - 1, reserved })).toBe(0);
    expect(c.getInfo().iovaRanges).toEqual([
      { start: 0, end: 0x0fff_ffff },
      { start: 0x2000_0000, end: 0xfedfffff },
      { start: 0xfef00000, end: 2 ** 39 - 1 },
    ]);
    expect(c.mapDma(0x1000_0000, 2 * MiB, 2 * MiB, RW)).toBe(EINVAL);
  });
  it('a device with the same page sizes joins the existing domain: no replay, no new PTEs', () => {
    const { c } = setup();
    expect(c.mapDma(2 * MiB, 2 * MiB, 4 * MiB, RW)).toBe(0);
    const before = c.snapshot() as { domains: unknown[] };
    expect(c.attachDevice('gpu0')).toBe(0);
    const after = c.snapshot() as { domains: { devices: string[]; livePtes: number }[] };
    expect(after.domains).toHaveLength(before.domains.length);
    expect(after.domains[0]!.devices).toEqual(['nvme0', 'gpu0']);
    expect(after.domains[0]!.livePtes).toBe(2);
  });
  it('a device behind another IOMMU gets a new domain with every mapping replayed, without pinning again', () => {
    const { c, process } = setup();
    expect(c.mapDma(2 * MiB, 2 * MiB, 4 * MiB, RW)).toBe(0);
    expect(c.attachDeviceWithGeometry('gpu0', { ...X86, pageSizes: [4 * KiB] })).toBe(0);
    expect(process.lockedPages).toBe(1024);
    expect(ptesPeak(c)).toBe(2 + 1024);
    expect(c.getInfo().iovaPgsizes).toBe(4 * KiB); // the AND of both domains
    expect(c.checkInvariants()).toEqual([]);
    // New mappings go to both domains; unmapping removes them from both.
    expect(c.mapDma(16 * MiB, 16 * MiB, 2 * MiB, RW)).toBe(0);
    expect(c.checkInvariants()).toEqual([]);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(0);
    expect((c.snapshot() as { domains: { livePtes: number }[] }).domains.map((d) => d.livePtes)).toEqual([0, 0]);
  });
  it('a replay failing part way leaves nothing behind -> ENOMEM', () => {
    const faults = new FaultInjector(4);
    const { c } = setup({ faults });
    expect(c.mapDma(2 * MiB, 2 * MiB, 2 * MiB, RW)).toBe(0); // sites 1-3: alloc, pin, iommu-map
    expect(c.mapDma(8 * MiB, 8 * MiB, 2 * MiB, RW)).toBe(ENOMEM); // site 4: alloc fails
    const f2 = new FaultInjector(6);
    const s2 = setup({ faults: f2 });
    expect(s2.c.mapDma(2 * MiB, 2 * MiB, 4 * MiB, RW)).toBe(0); // alloc, pin, map, map
    // site 5: the group allocation, site 6: the first replayed run fails.
    expectRefused(s2.c, () => s2.c.attachDeviceWithGeometry('gpu0', { ...X86, pageSizes: [4 * KiB] }), ENOMEM);
    expect(f2.sitesReached).toBe(6);
  });
  it('a container whose first device cannot attach (no interrupt remapping) has no IOMMU: every ioctl -> EINVAL', () => {
    const { c } = setup({ irqRemapping: false });
    expect(c.setupErrno).toBe(EPERM);
    expect(c.mapDma(2 * MiB, 2 * MiB, 2 * MiB, RW)).toBe(EINVAL);
    expect(c.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL)).toBe(EINVAL);
    expect(c.attachDevice('gpu0')).toBe(EINVAL);
  });
});
