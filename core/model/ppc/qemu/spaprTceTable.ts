// One guest-visible TCE table as QEMU keeps it (hw/ppc/spapr_iommu.c SpaprTceTable): a LIOBN that
// always exists while its PHB does, and, when the window is enabled, its bus offset, TCE page shift
// and nb_table entries. Each entry holds the raw 64-bit TCE the guest wrote: the real (guest-physical)
// page address plus two permission bits (0 fault, 1 read-only, 2 write-only, 3 read-write; Linux
// TCE_PCI_READ = 1, TCE_PCI_WRITE = 2). Windows up to 2^21 entries (16 MiB of TCEs) keep an array
// like QEMU's, in chunks of 4096 entries allocated at their first non-zero TCE (an untouched chunk
// reads as zeros: a 1 GiB default window the guest barely uses costs no 2 MiB at every reset); larger
// ones (a window may have 2^31 entries) keep only non-zero entries. Live
// entries (permission != 0) are counted, as are those whose page lies in guest RAM ("backed": the
// only ones the host can mirror).
// Must not: check hypercall arguments (spaprHcalls.ts does) or talk to the host.

import { remPow2 } from '../../base/bits';

/** TCE permission bits (enum SpaprTceAccess; Linux TCE_PCI_READ / TCE_PCI_WRITE). */
export const TCE_FAULT = 0;
export const TCE_READ = 1;
export const TCE_WRITE = 2;
export const TCE_RW = 3;

/** Largest window kept as an array (entries). */
const DENSE_MAX = 2 ** 21;
/** Entries per chunk of that array. */
const CHUNK_SHIFT = 12;
const CHUNK = 1 << CHUNK_SHIFT;

/** Permission bits of a TCE (tce % 4: remPow2(tce, 4), with the division as a multiplication by 1/4, the same bits). */
export function tcePerm(tce: number): number {
  if (tce > 0) return tce - Math.floor(tce * 0.25) * 4;
  return remPow2(tce, 4);
}

export class SpaprTceTable {
  busOffset = 0;
  pageShift = 0;
  /** Entries of the window; 0 = disabled (spapr_tce_table_disable). */
  nbTable = 0;
  /** 2^pageShift, kept rather than computed on every TCE. */
  pageSize = 1;
  /** 1 / pageSize, exact (a power of two): x * invPageSize is x / pageSize bit for bit, without a division. */
  invPageSize = 1;
  /** floor(ramBytes / pageSize) * pageSize: a TCE >= 0 is backed below it; -1 when RAM is no exact integer below 2^53. */
  private backedLimit = -1;
  /** Array storage of a window of at most DENSE_MAX entries, by chunk (null: all zero), else null. */
  private dense: (Float64Array | null)[] | null = null;
  /** Sparse storage of a larger window: index -> TCE, non-zero values only. */
  private readonly sparse = new Map<number, number>();
  /** Entries with permission bits set. */
  live = 0;
  /** Live entries whose page lies in guest RAM. */
  liveBacked = 0;
  livePeak = 0;

  /** @param ramBytes guest RAM size: a TCE is backed when its page lies in [0, ramBytes) */
  constructor(
    readonly liobn: number,
    readonly windowNum: number,
    private readonly ramBytes: number,
  ) {
    this.backedLimit = this.backedLimitFor();
  }

  private backedLimitFor(): number {
    const ram = this.ramBytes;
    return ram >= 0 && Number.isInteger(ram) && ram < 2 ** 53 ? Math.floor(ram * this.invPageSize) * this.pageSize : -1;
  }

  get enabled(): boolean {
    return this.nbTable > 0;
  }

  /** First bus address past the window. */
  get windowEnd(): number {
    return this.busOffset + this.nbTable * this.pageSize;
  }

  get windowBytes(): number {
    return this.nbTable * this.pageSize;
  }

  /** spapr_tce_table_enable: an empty window (the caller checked it was disabled). */
  enable(pageShift: number, busOffset: number, nbTable: number): void {
    if (this.enabled) throw new Error(`LIOBN 0x${this.liobn.toString(16)} is already enabled`);
    this.pageShift = pageShift;
    this.pageSize = 2 ** pageShift;
    this.invPageSize = 1 / this.pageSize;
    this.backedLimit = this.backedLimitFor();
    this.busOffset = busOffset;
    this.nbTable = nbTable;
    this.dense = nbTable <= DENSE_MAX ? new Array<Float64Array | null>(Math.ceil(nbTable / CHUNK)).fill(null) : null;
  }

  /** spapr_tce_table_disable: the table and every TCE in it go. */
  disable(): void {
    this.clearAll();
    this.busOffset = 0;
    this.pageShift = 0;
    this.pageSize = 1;
    this.invPageSize = 1;
    this.backedLimit = this.backedLimitFor();
    this.nbTable = 0;
    this.dense = null;
  }

  /** spapr_tce_reset: all entries zeroed, the window stays. */
  clearAll(): void {
    this.dense?.fill(null);
    this.sparse.clear();
    this.live = 0;
    this.liveBacked = 0;
  }

  /**
   * put_tce_emu's index: (ioba - bus_offset) >> page_shift after masking ioba to the page, or -1 when
   * the unsigned subtraction would wrap (ioba below the window: an index >= nb_table in QEMU).
   */
  indexOf(ioba: number): number {
    if (ioba < this.busOffset || this.nbTable === 0) return -1;
    return Math.floor((ioba - this.busOffset) * this.invPageSize);
  }

  /** remPow2(x, pageSize): x % pageSize, bit for bit, with the division as a multiplication. */
  remPage(x: number): number {
    if (x > 0) return x - Math.floor(x * this.invPageSize) * this.pageSize;
    return remPow2(x, this.pageSize);
  }

  /** Bus address of entry `index`. */
  iobaOf(index: number): number {
    return this.busOffset + index * this.pageSize;
  }

  inRange(index: number): boolean {
    return index >= 0 && index < this.nbTable;
  }

  get(index: number): number {
    const d = this.dense;
    if (d === null) return this.sparse.get(index) ?? 0;
    const chunk = d[index >>> CHUNK_SHIFT];
    return chunk == null ? 0 : chunk[index & (CHUNK - 1)]!;
  }

  /** Guest-physical page a TCE points at (tce & page_mask). */
  gpaOf(tce: number): number {
    return tce - this.remPage(tce);
  }

  /** Whether the TCE's page lies in guest RAM (kvmppc_tce_to_ua finds a memslot; QEMU's listener can translate it). */
  isBacked(tce: number): boolean {
    // gpaOf(tce) + pageSize <= ramBytes is, for tce >= 0 and exact RAM sizes, tce < the last whole
    // page's end (every step exact below 2^53; a page at or past 2^53 lies past RAM either way).
    if (tce >= 0 && this.backedLimit >= 0) return tce < this.backedLimit;
    return this.gpaOf(tce) + this.pageSize <= this.ramBytes;
  }

  /** tcet->table[index] = tce; returns the previous value. */
  put(index: number, tce: number): number {
    const old = this.get(index);
    this.account(old, -1);
    const d = this.dense;
    if (d !== null) {
      const at = index >>> CHUNK_SHIFT;
      let chunk = d[at];
      if (chunk === null && tce !== 0) chunk = d[at] = new Float64Array(CHUNK);
      if (chunk != null) chunk[index & (CHUNK - 1)] = tce;
    } else if (tce === 0) this.sparse.delete(index);
    else this.sparse.set(index, tce);
    this.account(tce, 1);
    if (this.live > this.livePeak) this.livePeak = this.live;
    return old;
  }

  /** put() of `value` into entries index..index+n-1, in order (H_STUFF_TCE, kvmppc_h_stuff_tce). */
  fill(index: number, n: number, value: number): void {
    this.putRange(index, n, null, 0, value);
  }

  /**
   * put() of list[i] into entry index + i for i < n, in order; entries at or past `listLength` get 0
   * (H_PUT_TCE_INDIRECT, kvmppc_h_put_tce_indirect).
   */
  putList(index: number, list: Float64Array, listLength: number, n: number): void {
    this.putRange(index, n, list, listLength, 0);
  }

  /**
   * put() entry by entry, as the loops of kvmppc_h_put_tce_indirect / kvmppc_h_stuff_tce write
   * tbl[idx + i]: the same stores and counts (livePeak checked after every entry), with the chunk of
   * an array-backed window looked up once per chunk rather than twice per entry. Entry i gets
   * list[i] (0 at or past listLength) or, without a list, `value`. The entry-by-entry put() loop it
   * replaces is the oracle of spaprTceTable.range.test.ts.
   */
  private putRange(index: number, n: number, list: Float64Array | null, listLength: number, value: number): void {
    const d = this.dense;
    if (d === null || index < 0) {
      for (let i = 0; i < n; i++) this.put(index + i, list === null ? value : i < listLength ? list[i]! : 0);
      return;
    }
    for (let i = 0; i < n;) {
      const e = index + i;
      const at = e >>> CHUNK_SHIFT;
      const off = e & (CHUNK - 1);
      const k = Math.min(n - i, CHUNK - off);
      let chunk = d[at] ?? null;
      for (let j = 0; j < k; j++, i++) {
        const tce = list === null ? value : i < listLength ? list[i]! : 0;
        if (chunk === null) {
          if (tce === 0) continue;
          chunk = d[at] = new Float64Array(CHUNK);
        }
        const old = chunk[off + j]!;
        if (old !== 0) this.account(old, -1);
        chunk[off + j] = tce;
        if (tce !== 0) this.account(tce, 1);
        if (this.live > this.livePeak) this.livePeak = this.live;
      }
    }
  }

  private account(tce: number, sign: number): void {
    if (tcePerm(tce) === TCE_FAULT) return;
    this.live += sign;
    if (this.isBacked(tce)) this.liveBacked += sign;
  }

  /** Non-zero entries as [index, tce] (whole-table walks: snapshots, checks, window copies). */
  private nonZero(): [number, number][] {
    const out: [number, number][] = [];
    const d = this.dense;
    if (d !== null) {
      for (let c = 0; c < d.length; c++) {
        const chunk = d[c];
        if (chunk != null) for (let i = 0; i < CHUNK; i++) if (chunk[i] !== 0) out.push([c * CHUNK + i, chunk[i]!]);
      }
    } else for (const e of this.sparse) out.push(e);
    return out;
  }

  snapshot(): unknown {
    return {
      liobn: this.liobn,
      busOffset: this.busOffset,
      pageShift: this.pageShift,
      nbTable: this.nbTable,
      entries: this.nonZero().sort((a, b) => a[0] - b[0]),
    };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    const name = `LIOBN 0x${this.liobn.toString(16)}`;
    let live = 0;
    let backed = 0;
    const entries = this.nonZero();
    for (const [i, tce] of entries) {
      if (!this.inRange(i)) problems.push(`${name}: entry ${i} lies outside its ${this.nbTable}-entry window`);
      if (tcePerm(tce) !== TCE_FAULT) {
        live++;
        if (this.isBacked(tce)) backed++;
      }
    }
    if (live !== this.live) problems.push(`${name}: ${live} live entries but ${this.live} counted`);
    if (backed !== this.liveBacked) problems.push(`${name}: ${backed} backed entries but ${this.liveBacked} counted`);
    if (!this.enabled && entries.length > 0) problems.push(`${name}: a disabled window holds TCEs`);
    if (this.dense !== null && this.sparse.size > 0) problems.push(`${name}: dense and sparse storage both hold TCEs`);
    return problems;
  }
}
