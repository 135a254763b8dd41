// The QEMU process on the host, as the DMA backends see it: which user addresses are mapped and
// how they are backed (so which pages are physically contiguous), and its locked-memory account
// (mm->locked_vm against RLIMIT_MEMLOCK, unless the process has CAP_IPC_LOCK). Every VFIO
// container and iommufd IOAS of the process charges this one account; type1 containers never
// share pins, so the same pages mapped through two containers are charged twice (reference 002).
// A device BAR QEMU mmapped from vfio-pci is a VM_PFNMAP VMA (vfio_pci_core_mmap: VM_IO |
// VM_PFNMAP): its addresses are mapped but have no struct page, so pin_user_pages refuses them and
// each backend decides what to do with them.
// Must not: pin anything itself; the backends decide what to charge and when.

import { PAGE_SIZE } from '../base/pages';

/** How guest RAM is backed: 4 KiB pages, transparent 2 MiB huge pages, or hugetlbfs 2 MiB / 1 GiB. */
export type MemoryBacking = '4k' | 'thp' | 'hugepages-2m' | 'hugepages-1g';

export interface HostProcessConfig {
  /** RLIMIT_MEMLOCK in bytes, or null for unlimited. */
  readonly memlockBytes: number | null;
  /** CAP_IPC_LOCK: locked memory is not checked against the limit (still counted). */
  readonly capIpcLock: boolean;
  readonly backing: MemoryBacking;
  /** First address past the user address space (x86-64 4-level paging: 2^47). */
  readonly userAddressEnd: number;
}

const BACKING_CHUNK_BYTES: Record<MemoryBacking, number> = {
  '4k': PAGE_SIZE,
  thp: 2 * 1024 * 1024,
  'hugepages-2m': 2 * 1024 * 1024,
  'hugepages-1g': 1024 * 1024 * 1024,
};

export class HostProcess {
  private locked = 0;
  private lockedPeak = 0;
  private failures = 0;
  private memlockBytes: number | null;
  /** VM_PFNMAP VMAs [start, end) (device BARs QEMU mmapped), in the order they were added. */
  private readonly pfnmaps: { readonly start: number; readonly end: number }[] = [];
  readonly chunkBytes: number;

  constructor(readonly config: HostProcessConfig) {
    this.chunkBytes = BACKING_CHUNK_BYTES[config.backing];
    this.memlockBytes = config.memlockBytes;
  }

  /** RLIMIT_MEMLOCK now, bytes (null: unlimited). */
  get memlockLimitBytes(): number | null {
    return this.memlockBytes;
  }

  /**
   * prlimit(RLIMIT_MEMLOCK) on the running process: only later charges are checked against the new
   * limit; what is already locked stays locked (the kernel never unpins to meet a lower limit).
   */
  setMemlockLimit(bytes: number | null): void {
    this.memlockBytes = bytes;
  }

  get lockedPages(): number {
    return this.locked;
  }

  get lockedPeakBytes(): number {
    return this.lockedPeak * PAGE_SIZE;
  }

  get memlockFailures(): number {
    return this.failures;
  }

  /** Pages that may still be locked before RLIMIT_MEMLOCK is hit (Infinity without a limit or with CAP_IPC_LOCK). */
  lockablePages(): number {
    if (this.config.capIpcLock || this.memlockBytes === null) return Infinity;
    return Math.max(0, Math.floor(this.memlockBytes / PAGE_SIZE) - this.locked);
  }

  /**
   * Charges `pages` to locked_vm, as vfio_lock_acct / account_locked_vm do: refused (and counted as
   * a memlock failure) when locked_vm + pages would exceed the limit and the process lacks CAP_IPC_LOCK.
   */
  tryLock(pages: number): boolean {
    if (pages > this.lockablePages()) {
      this.failures++;
      return false;
    }
    this.locked += pages;
    if (this.locked > this.lockedPeak) this.lockedPeak = this.locked;
    return true;
  }

  unlock(pages: number): void {
    if (pages > this.locked) throw new Error(`unlocking ${pages} pages but only ${this.locked} are locked`);
    this.locked -= pages;
  }

  /**
   * QEMU mmaps `bytes` of a device BAR at `vaddr` (vfio_region_mmap over vfio_pci_core_mmap): a
   * VM_PFNMAP VMA whose pages are device memory, not RAM.
   */
  addPfnmap(vaddr: number, bytes: number): void {
    if (!this.isMapped(vaddr, bytes)) throw new Error(`PFNMAP range 0x${vaddr.toString(16)}+${bytes} is outside the user address space`);
    if (this.pfnmapBytes(vaddr, bytes) > 0) throw new Error(`PFNMAP range 0x${vaddr.toString(16)}+${bytes} overlaps another`);
    this.pfnmaps.push({ start: vaddr, end: vaddr + bytes });
  }

  /** Bytes of [vaddr, vaddr + size) that lie in VM_PFNMAP VMAs (0: ordinary memory only). */
  pfnmapBytes(vaddr: number, size: number): number {
    let bytes = 0;
    for (const r of this.pfnmaps) bytes += Math.max(0, Math.min(r.end, vaddr + size) - Math.max(r.start, vaddr));
    return bytes;
  }

  /** Whether [vaddr, vaddr + size) lies in the mapped user address space (else pinning faults, -EFAULT). */
  isMapped(vaddr: number, size: number): boolean {
    return vaddr >= PAGE_SIZE && vaddr + size <= this.config.userAddressEnd;
  }

  /**
   * Bytes of physically contiguous memory starting at `vaddr`, at most `maxBytes`. Each backing
   * chunk (a 4 KiB page, a 2 MiB or a 1 GiB huge page) is contiguous; separate chunks are modelled
   * as never adjacent in physical memory, which is what hugepage-backed guests give on a busy host.
   */
  contiguousBytes(vaddr: number, maxBytes: number): number {
    const toChunkEnd = this.chunkBytes - (vaddr % this.chunkBytes);
    return Math.min(toChunkEnd, maxBytes);
  }

  /** Offset of the physical address behind `vaddr` within its naturally aligned backing chunk. */
  physOffsetInChunk(vaddr: number): number {
    return vaddr % this.chunkBytes;
  }
}
