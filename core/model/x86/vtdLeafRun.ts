// A run of second-level leaves of one size that one __domain_mapping call wrote side by side:
// leaf j maps IOVA start + j * leafBytes to GPA gpa + j * leafBytes with the same permission, and
// carries the write id `id + j`. The guest's table (vtdPageTable.ts) and QEMU's IOVA tree of the
// same leaves (qemuIntelIommuShadow.ts) each keep such runs as one node instead of one node per
// leaf; a partial clear or removal splits a run. The id stands for the leaf's identity (which
// write produced it): QEMU's tree holds the guest's current leaf at an address exactly when the
// ids there are equal, which is how stale shadow entries are counted.
// Must not: be shared between the guest table and the shadow (each splits its own runs), or hold
// anything that differs between the leaves of a run beyond what follows from the leaf index.

import type { Interval } from '../base/intervalMap';

/** One leaf of the guest's second-level table, or the DMAMap QEMU keeps for it. */
export interface VtdLeaf {
  readonly start: number;
  /** Inclusive. */
  readonly last: number;
  readonly gpa: number;
  readonly write: boolean;
}

export class VtdLeafRun implements Interval {
  /** First byte of the first leaf (the tree key: change it only while the run is out of its tree). */
  start: number;
  /** Last byte of the last leaf. */
  last: number;
  /** GPA of the first leaf. */
  gpa: number;
  /** Write id of the first leaf; leaf j has id + j. */
  id: number;

  constructor(
    start: number,
    leaves: number,
    readonly leafBytes: number,
    gpa: number,
    readonly write: boolean,
    id: number,
  ) {
    this.start = start;
    this.last = start + leaves * leafBytes - 1;
    this.gpa = gpa;
    this.id = id;
  }

  get leaves(): number {
    return (this.last + 1 - this.start) / this.leafBytes;
  }

  /** Index of the leaf containing `addr` (which must lie in the run). */
  indexAt(addr: number): number {
    return Math.floor((addr - this.start) / this.leafBytes);
  }

  leafStart(index: number): number {
    return this.start + index * this.leafBytes;
  }

  /** GPA minus IOVA: equal for two runs exactly when their overlapping leaves translate alike. */
  get gpaDelta(): number {
    return this.gpa - this.start;
  }

  /** Write id minus leaf index from address 0: equal for two runs of one leaf size exactly when their overlapping leaves are the same leaves. */
  get idBase(): number {
    return this.id - this.start / this.leafBytes;
  }

  /** Leaves [from, to) as a run of their own (same ids). */
  slice(from: number, to: number): VtdLeafRun {
    return new VtdLeafRun(this.leafStart(from), to - from, this.leafBytes, this.gpa + from * this.leafBytes, this.write, this.id + from);
  }

  /** Keeps leaves [0, n) (the key stays). */
  truncate(n: number): void {
    this.last = this.start + n * this.leafBytes - 1;
  }

  /** Drops leaves [0, n) (the key moves: only while out of the tree). */
  dropHead(n: number): void {
    this.start += n * this.leafBytes;
    this.gpa += n * this.leafBytes;
    this.id += n;
  }

  leaf(index: number): VtdLeaf {
    const start = this.leafStart(index);
    return { start, last: start + this.leafBytes - 1, gpa: this.gpa + index * this.leafBytes, write: this.write };
  }
}

/** Leaves of `a` and `b` that are the same leaves (same write id at the same address). */
export function sameLeavesIn(a: VtdLeafRun, b: VtdLeafRun): number {
  if (a.leafBytes !== b.leafBytes || a.idBase !== b.idBase) return 0;
  const lo = Math.max(a.start, b.start);
  const hi = Math.min(a.last, b.last);
  return hi >= lo ? (hi + 1 - lo) / a.leafBytes : 0;
}
