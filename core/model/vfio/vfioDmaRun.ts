// A run of single-page vfio_dma entries that QEMU mapped one ioctl each but back to back: IOVAs
// and user addresses both contiguous, same permissions, mapped on the same domains. The kernel
// keeps each as its own vfio_dma (dma_entry_limit counts them one by one); the model keeps the run
// as one tree node and does per-entry work only where the kernel's answer depends on the entry:
// counts, costs and fault sites stay per entry, a partial unmap splits the run, and anything that
// treats entries differently (FLAG_VADDR, a group attach) first turns the run back into entries.
// The reference container (vfioType1Reference.testkit.ts) holds the two to the same answers.
// Must not: hold per-entry state; entries of a run are identical but for their addresses.

import { PAGE_SIZE } from '../base/pages';
import { VfioDma } from './vfioDma';

export class VfioDmaRun {
  /** Start of the first entry (the tree key: change it only while the run is out of the tree). */
  start: number;
  /** Start of the last entry's (only) page, like VfioDma.last. */
  last: number;
  /** Entries in the run; each one PAGE_SIZE long. */
  entries: number;
  /** User address pinned for the first entry; entry j pinned pinVaddr + j * PAGE_SIZE. */
  pinVaddr: number;

  constructor(
    start: number,
    entries: number,
    pinVaddr: number,
    /** VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE as given. */
    readonly prot: number,
    /** Domains with seq <= mapSeq were mapped at MAP_DMA time (every domain there was). */
    readonly mapSeq: number,
    /** Host PTEs of one entry, all domains together (one per domain: a page is one PTE). */
    readonly ptesPerEntry: number,
  ) {
    this.start = start;
    this.entries = entries;
    this.last = start + (entries - 1) * PAGE_SIZE;
    this.pinVaddr = pinVaddr;
  }

  get endExcl(): number {
    return this.start + this.entries * PAGE_SIZE;
  }

  get sizeBytes(): number {
    return this.entries * PAGE_SIZE;
  }

  /** Host PTEs of the whole run. */
  get ptes(): number {
    return this.entries * this.ptesPerEntry;
  }

  /** Index of the entry containing `addr` (which must lie in the run). */
  entryAt(addr: number): number {
    return Math.floor((addr - this.start) / PAGE_SIZE);
  }

  /** Keeps entries [0, n): the tail goes (the key stays). */
  truncate(n: number): void {
    this.entries = n;
    this.last = this.start + (n - 1) * PAGE_SIZE;
  }

  /** Drops entries [0, n): the head goes (the key moves: only while out of the tree). */
  dropHead(n: number): void {
    this.start += n * PAGE_SIZE;
    this.pinVaddr += n * PAGE_SIZE;
    this.entries -= n;
  }

  /** Entries [from, entries) as a run of their own. */
  tailFrom(from: number): VfioDmaRun {
    return new VfioDmaRun(
      this.start + from * PAGE_SIZE,
      this.entries - from,
      this.pinVaddr + from * PAGE_SIZE,
      this.prot,
      this.mapSeq,
      this.ptesPerEntry,
    );
  }

  /** A group attach replays each vfio_dma on its own: the container splits runs before one. */
  replayOnto(): number {
    throw new Error(`vfio_dma run at ${this.start}: split runs before a replay`);
  }

  /** The entries as the VfioDma objects the kernel would hold. */
  toEntries(): VfioDma[] {
    const out: VfioDma[] = [];
    for (let j = 0; j < this.entries; j++) {
      const dma = new VfioDma(this.start + j * PAGE_SIZE, PAGE_SIZE, this.pinVaddr + j * PAGE_SIZE, this.prot, this.mapSeq);
      dma.ptes = this.ptesPerEntry;
      out.push(dma);
    }
    return out;
  }
}
