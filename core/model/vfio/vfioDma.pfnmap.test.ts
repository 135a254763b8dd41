// type1 and device memory: a MAP_DMA over a VM_PFNMAP VMA (a device BAR QEMU mmapped) is mapped
// without a charge (vaddr_get_pfns: follow_fault_pfn, is_invalid_reserved_pfn; vfio_pin_pages_remote
// leaves reserved pfns out of lock_acct), unmapping gives nothing back, and RAM beside it is
// charged as before (NVIDIA/NV-Kernels#248/#249 contrast iommufd with this).
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { ENOMEM, OK } from '../base/errno';
import { defaultIommuGeometry } from '../host/hostIommu';
import { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { VfioType1Container } from './vfioType1';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE } from './vfioContainerApi';

const GiB = 1024 * 1024 * 1024;
const RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
const RAM = 0x7f00_0000_0000;
const BAR = 0x7e00_0000_0000;

function setup(memlockBytes: number) {
  const process = new HostProcess({ memlockBytes, capIpcLock: false, backing: 'hugepages-1g', userAddressEnd: 2 ** 47 });
  const c = new VfioType1Container('c0', 2, {
    process,
    costs: resolveCostTable(),
    faults: new FaultInjector(),
    dmaEntryLimit: 65535,
    disableHugepages: false,
    geometry: defaultIommuGeometry('x86_64'),
    irqRemapping: true,
    allowUnsafeInterrupts: false,
  });
  return { process, c };
}

describe('type1 MAP_DMA of device memory (VM_PFNMAP)', () => {
  it('maps a BAR far larger than RLIMIT_MEMLOCK without charging it', () => {
    const { process, c } = setup(1 * GiB);
    process.addPfnmap(BAR, 32 * GiB);
    expect(c.mapDma(0x3800_0000_0000, BAR, 32 * GiB, RW)).toBe(OK);
    expect(process.lockedPages).toBe(0);
    expect(process.memlockFailures).toBe(0);
    expect(c.translates(0x3800_0000_0000, 32 * GiB)).toBe(true);
    expect(c.limitUsage().lockedPagesPeak).toBe(0);
    expect(c.checkInvariants()).toEqual([]);
  });

  it('charges RAM as before, and unmapping the BAR gives nothing back', () => {
    const { process, c } = setup(2 * GiB);
    process.addPfnmap(BAR, 4 * GiB);
    expect(c.mapDma(0, RAM, 1 * GiB, RW)).toBe(OK);
    expect(c.mapDma(0x3800_0000_0000, BAR, 4 * GiB, RW)).toBe(OK);
    expect(process.lockedPages).toBe(GiB / PAGE_SIZE);
    expect(c.unmapDma(0x3800_0000_0000, 4 * GiB, 0)).toBe(OK);
    expect(process.lockedPages).toBe(GiB / PAGE_SIZE);
    // RAM beyond the limit is still refused: only device memory is exempt.
    expect(c.mapDma(GiB, RAM + GiB, 2 * GiB, RW)).toBe(ENOMEM);
    expect(c.checkInvariants()).toEqual([]);
  });
});
