// iommufd and device memory by kernel (host.iommufd.pfnmap): upstream pin_user_pages refuses a
// VM_PFNMAP VMA (-EFAULT, nothing charged); the linux-nvidia kernels follow it in
// pfn_reader_user_pin and charge it like RAM (-ENOMEM past RLIMIT_MEMLOCK, NVIDIA/NV-Kernels#248/#249);
// the change those pull requests proposed pins it without a charge (IOPT_PAGES_ACCOUNT_NONE).
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { EFAULT, ENOMEM, OK } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { IommufdVfioCompat } from './iommufdVfioCompat';
import type { IommufdPfnmapMode } from './iommufdPages';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE } from '../vfio/vfioContainerApi';

const GiB = 1024 * 1024 * 1024;
const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const RAM = 0x7f00_0000_0000;
const BAR = 0x7e00_0000_0000;
const BAR_IOVA = 0x3800_0000_0000;

function setup(memlockBytes: number, pfnmap?: IommufdPfnmapMode) {
  const process = new HostProcess({ memlockBytes, capIpcLock: false, backing: 'hugepages-1g', userAddressEnd: 2 ** 47 });
  const c = new IommufdVfioCompat('c0', {
    process,
    costs: resolveCostTable(),
    faults: new FaultInjector(),
    geometry: defaultIommuGeometry('x86_64'),
    version: 'type1v2',
    maxAutoAlignBytes: 2 * 1024 * 1024,
    ...(pfnmap === undefined ? {} : { pfnmap }),
  });
  expect(c.attachDevice('gpu0')).toBe(OK);
  process.addPfnmap(BAR, 8 * GiB);
  expect(c.mapDma(0, RAM, 2 * GiB, RW)).toBe(OK);
  return { process, c };
}

describe('iommufd map of a VM_PFNMAP range', () => {
  it('upstream (the default): EFAULT whatever the limit, nothing pinned or charged', () => {
    const { process, c } = setup(100 * GiB);
    expect(c.mapDma(BAR_IOVA, BAR, 8 * GiB, RW)).toBe(EFAULT);
    expect(c.lastWhy).toMatch(/VM_PFNMAP/);
    expect(process.lockedPages).toBe((2 * GiB) / PAGE_SIZE);
    expect(c.entries).toBe(1);
    expect(c.checkInvariants()).toEqual([]);
  });

  it('charge (linux-nvidia): ENOMEM when RAM + BAR exceed RLIMIT_MEMLOCK, mapped and charged when they fit', () => {
    const tight = setup(3 * GiB, 'charge');
    expect(tight.c.mapDma(BAR_IOVA, BAR, 8 * GiB, RW)).toBe(ENOMEM);
    expect(tight.process.memlockFailures).toBe(1);
    expect(tight.process.lockedPages).toBe((2 * GiB) / PAGE_SIZE);
    expect(tight.c.lastWhy).toMatch(/RLIMIT_MEMLOCK.*device memory/);
    const roomy = setup(11 * GiB, 'charge');
    expect(roomy.c.mapDma(BAR_IOVA, BAR, 8 * GiB, RW)).toBe(OK);
    expect(roomy.process.lockedPages).toBe((10 * GiB) / PAGE_SIZE);
    expect(roomy.c.limitUsage().lockedPagesPeak).toBe((10 * GiB) / PAGE_SIZE);
  });

  it('noCharge (the change NV-Kernels#248/#249 proposed): mapped under the tight limit, never charged, unmapped without a refund', () => {
    const { process, c } = setup(3 * GiB, 'noCharge');
    expect(c.mapDma(BAR_IOVA, BAR, 8 * GiB, RW)).toBe(OK);
    expect(process.lockedPages).toBe((2 * GiB) / PAGE_SIZE);
    expect(c.limitUsage().lockedPagesPeak).toBe((2 * GiB) / PAGE_SIZE);
    expect(c.translates(BAR_IOVA, 8 * GiB)).toBe(true);
    expect(c.unmapDma(BAR_IOVA, 8 * GiB, 0)).toBe(OK);
    expect(process.lockedPages).toBe((2 * GiB) / PAGE_SIZE);
    expect(c.checkInvariants()).toEqual([]);
  });
});
