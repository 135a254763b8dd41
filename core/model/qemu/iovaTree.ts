// QEMU's IOVA tree (util/iova-tree.c, include/qemu/iova-tree.h) as it is today and with the two fixes
// discussed in reference 004: an `id` (the GPA of the guest region) that a reverse lookup must match,
// and a second index keyed by host address that makes the reverse lookup O(log n). Owns the maps of
// one tree, the lookup costs in comparisons, and the ground truth needed to call a reverse lookup
// wrong (every map remembers the guest region it was inserted for).
// Must not: merge or split maps (QEMU never does), or let an id change anything but findIova.
//
// The storage is GLib's GTree, an AVL tree whose comparator (iova_tree_compare) says "equal" for
// overlapping ranges. Which map a lookup returns depends on the tree's shape, so GTreeShape
// (gTreeShape.ts) re-creates GLib's shape exactly: standard AVL insert, and removal of a node with two
// children by moving its in-order successor into its place (glib/gtree.c: g_tree_insert_internal,
// g_tree_remove_internal, g_tree_node_balance). The trees order slot numbers of a map table (field
// arrays), so a tree of 65536 maps allocates no object per map.

import type { CostTable } from '../../sim/costTable';
import type { LayerInstance } from '../base/layerInstance';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import { GTreeNodes, GTreeShape } from './gTreeShape';
import { U64_END } from '../base/bits';

/** include/qemu/iova-tree.h return codes (negative, as QEMU returns them). */
export const IOVA_OK = 0;
export const IOVA_ERR_INVALID = -1;
export const IOVA_ERR_OVERLAP = -2;
export const IOVA_ERR_NOMEM = -3;

const IOVA_ERR_NAMES: Record<number, string> = {
  [IOVA_ERR_INVALID]: 'IOVA_ERR_INVALID',
  [IOVA_ERR_OVERLAP]: 'IOVA_ERR_OVERLAP',
  [IOVA_ERR_NOMEM]: 'IOVA_ERR_NOMEM',
};

/** Symbolic name of an iova-tree return code, or null for IOVA_OK. */
export function iovaErrName(code: number): string | null {
  if (code === IOVA_OK) return null;
  const name = IOVA_ERR_NAMES[code];
  if (name === undefined) throw new Error(`unknown iova-tree code ${code}`);
  return name;
}

/** IOMMUAccessFlags (include/exec/memory.h): IOMMU_NONE, IOMMU_RO, IOMMU_WO, IOMMU_RW. */
export type IommuPerm = 'none' | 'ro' | 'wo' | 'rw';
export type IovaTreeFix = 'none' | 'id' | 'reverse-index' | 'id+reverse-index';

/** DMAMap; `size` is inclusive (the last byte is iova + size). `id` is the GPA of the guest region, null for host-only maps. */
export interface DmaMap {
  readonly iova: number;
  readonly translatedAddr: number;
  readonly size: number;
  readonly perm: IommuPerm;
  readonly id: number | null;
}

/** Part of a reverse-lookup needle that the returned map does not cover (inclusive size, like DMAMap). */
export interface HostRange {
  readonly translatedAddr: number;
  readonly size: number;
}

/** Whether start + size (inclusive size) passes 2^64 - 1, i.e. `start + size < start` in uint64 (iova_tree_insert). */
function wrapsU64(start: number, size: number): boolean {
  if (start + size < U64_END) return false;
  // The double sum rounds near 2^64; decide exactly.
  return BigInt(start) + BigInt(size) >= 1n << 64n;
}

/** x modulo 2^64 for 0 <= x < 2^65 (uint64 wrap of a sum). */
function u64(x: number): number {
  return x >= U64_END ? x - U64_END : x;
}

/** A lookup's needle; no result is ever this value. */
const NEEDLE = 0;
/** Shared by every call that leaves no remainder. */
const NO_REMAINDER: readonly HostRange[] = Object.freeze([]);

export class IovaTree implements LayerInstance {
  // The maps, one slot each (slot NEEDLE holds a lookup's needle), in field arrays: the trees order
  // slot numbers, so 65536 maps are no 65536 objects. A DmaMap object is made when one is asked for.
  private iovas = new Float64Array(16);
  private addrs = new Float64Array(16);
  private sizes = new Float64Array(16);
  /** PERMS index of each map's permission. */
  private perms = new Uint8Array(16);
  /** Each map's id, read only where hasId is 1 (0: the id is null). */
  private ids = new Float64Array(16);
  private hasId = new Uint8Array(16);
  /** DmaMap objects made so far, by slot (dropped when the slot is written). */
  private readonly views = new Map<number, DmaMap>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 1;
  private readonly tree: GTreeShape<number>;
  /**
   * Reverse indexes keyed by host address: one for 'reverse-index', one per id for 'id+reverse-index'
   * (GLib trees: with ids most hold one map). An index of one map is that map's slot and one that has
   * lost all its maps is EMPTY_INDEX, until a second map makes it a tree: a node is no object, and
   * 65536 single-map indexes are no 65536 trees. Lookups, removals, checks and snapshots treat both
   * as the tree of that one map (or none) would be.
   */
  private readonly reverse = new Map<number | null, ReverseIndex>();
  /** Node storage the reverse indexes share (with ids there is one index per id). */
  private readonly reverseNodes = new GTreeNodes<number>();
  private readonly compareHost: (a: number, b: number) => number;
  private readonly hostLast: (m: number) => number;
  private readonly hostStart: (m: number) => number;
  private readonly useIds: boolean;
  private readonly useReverse: boolean;

  lookups = 0;
  lookupComparisons = 0;
  wrongTranslations = 0;
  partialMatches = 0;
  mapsPeak = 0;

  /** Outputs of the last call. */
  lastCostNs = 0;
  lastSteps = 0;
  lastMap: DmaMap | null = null;
  lastIova = 0;
  lastRemoved = 0;
  lastWrong = false;
  lastRemainder: readonly HostRange[] = NO_REMAINDER;

  constructor(
    readonly laneName: string,
    readonly fix: IovaTreeFix,
    private readonly costs: CostTable,
  ) {
    this.useIds = fix === 'id' || fix === 'id+reverse-index';
    this.useReverse = fix === 'reverse-index' || fix === 'id+reverse-index';
    // iova_tree_compare: ranges that overlap compare equal.
    this.tree = new GTreeShape<number>((a, b) => {
      const ai = this.iovas[a]!;
      const bi = this.iovas[b]!;
      if (ai > bi + this.sizes[b]!) return 1;
      if (ai + this.sizes[a]! < bi) return -1;
      return 0;
    });
    // Order of the host-address index: by translated address, then IOVA (a strict order; aliases allowed).
    this.compareHost = (a, b) => {
      const aa = this.addrs[a]!;
      const ba = this.addrs[b]!;
      if (aa !== ba) return aa < ba ? -1 : 1;
      const ai = this.iovas[a]!;
      const bi = this.iovas[b]!;
      if (ai !== bi) return ai < bi ? -1 : 1;
      return 0;
    };
    this.hostLast = (m) => this.addrs[m]! + this.sizes[m]!;
    this.hostStart = (m) => this.addrs[m]!;
  }

  get mapCount(): number {
    return this.tree.size;
  }

  /** The map in `slot` as a DmaMap (made once per map). */
  private view(slot: number): DmaMap {
    let v = this.views.get(slot);
    if (v === undefined) {
      v = {
        iova: this.iovas[slot]!,
        translatedAddr: this.addrs[slot]!,
        size: this.sizes[slot]!,
        perm: PERMS[this.perms[slot]!]!,
        id: this.idOf(slot),
      };
      this.views.set(slot, v);
    }
    return v;
  }

  private idOf(slot: number): number | null {
    return this.hasId[slot] === 1 ? this.ids[slot]! : null;
  }

  private viewOrNull(slot: number | null): DmaMap | null {
    return slot === null ? null : this.view(slot);
  }

  /** Writes a map into `slot` (NEEDLE: the next lookup's needle). */
  private put(slot: number, iova: number, translatedAddr: number, size: number, perm: IommuPerm, id: number | null): void {
    this.putCode(slot, iova, translatedAddr, size, PERMS.indexOf(perm), id);
  }

  /** put() with the permission as its PERMS index. */
  private putCode(slot: number, iova: number, translatedAddr: number, size: number, permCode: number, id: number | null): void {
    this.iovas[slot] = iova;
    this.addrs[slot] = translatedAddr;
    this.sizes[slot] = size;
    this.perms[slot] = permCode;
    if (id === null) this.hasId[slot] = 0;
    else {
      this.hasId[slot] = 1;
      this.ids[slot] = id;
    }
    if (this.views.size > 0) this.views.delete(slot);
  }

  private newSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.nextSlot++;
    if (slot === this.iovas.length) this.reserveSlots(slot + 1);
    return slot;
  }

  /** Grows the slot arrays (doubling) to hold at least `n` slots. */
  private reserveSlots(n: number): void {
    let len = this.iovas.length;
    if (n <= len) return;
    while (len < n) len *= 2;
    const f64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(len);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => {
      const b = new Uint8Array(len);
      b.set(a);
      return b;
    };
    this.iovas = f64(this.iovas);
    this.addrs = f64(this.addrs);
    this.sizes = f64(this.sizes);
    this.ids = f64(this.ids);
    this.perms = u8(this.perms);
    this.hasId = u8(this.hasId);
  }

  /** iova_tree_insert: wrap or IOMMU_NONE -> INVALID; any overlap -> OVERLAP; never merged with neighbours. */
  insert(iova: number, translatedAddr: number, size: number, perm: IommuPerm, id: number | null = null): number {
    this.begin();
    return this.end(this.insertMap(iova, translatedAddr, size, perm, id));
  }

  /**
   * `count` iova_tree_insert calls one after the other, for i from `from`, call i inserting {iova + i *
   * dIova, translatedAddr + i * dAddr, size, perm, id + i * dId (id when dId is null)}: a region mapped page
   * by page. Stops at the first call that fails. Every call leaves the tree, the counters and the
   * last* outputs as insert() would; repeatCalls counts the calls that succeeded and repeatCostNs is
   * `costNs` with each one's cost added in call order. A run whose maps ascend without overlapping,
   * the first past the last map, appends each at the end of the right spine without calling the
   * comparator (GTreeShape.lookupAndAppend; the reverse indexes take theirs through insert());
   * anything else goes through insert() call by call.
   */
  insertRepeat(
    iova: number,
    translatedAddr: number,
    size: number,
    perm: IommuPerm,
    id: number | null,
    dIova: number,
    dAddr: number,
    dId: number | null,
    from: number,
    count: number,
    costNs: number,
  ): number {
    let total = costNs;
    this.repeatCalls = 0;
    const end = from + count;
    if (count > 0 && this.freeSlots.length === 0 && this.appendsInOrder(iova, size, perm, dIova, from, end)) {
      return this.appendRun(iova, translatedAddr, size, perm, id, dIova, dAddr, dId, from, count, costNs);
    }
    if (count > 0 && this.appendsInOrder(iova, size, perm, dIova, from, end)) {
      const tree = this.tree;
      const stepNs = this.costs.qemuIovaTreeStepNs;
      this.reserveSlots(this.nextSlot + count);
      tree.reserve(count);
      const permCode = PERMS.indexOf(perm);
      this.begin();
      for (let i = from; i < end; i++) {
        tree.steps = 0;
        const mapId = dId === null ? id : id! + i * dId;
        const slot = this.newSlot();
        this.putCode(slot, iova + i * dIova, translatedAddr + i * dAddr, size, permCode, mapId);
        // insertMap: the lookup that finds no overlap and the insert, both down the right spine.
        tree.lookupAndAppend(slot);
        if (this.useReverse) this.insertReverse(slot, mapId);
        if (tree.size > this.mapsPeak) this.mapsPeak = tree.size;
        this.lastSteps = tree.steps;
        this.lastCostNs = tree.steps * stepNs;
        total += this.lastCostNs;
      }
      this.repeatCalls = count;
      this.repeatCostNs = total;
      return IOVA_OK;
    }
    for (let i = from; i < end; i++) {
      const rc = this.insert(iova + i * dIova, translatedAddr + i * dAddr, size, perm, dId === null ? id : id! + i * dId);
      if (rc !== IOVA_OK) {
        this.repeatCostNs = total;
        return rc;
      }
      this.repeatCalls++;
      total += this.lastCostNs;
    }
    this.repeatCostNs = total;
    return IOVA_OK;
  }

  /**
   * insertRepeat's appending calls when no slot is free (the maps take fresh slots, nextSlot on):
   * the slots written in one loop, the maps appended to the tree in one GTreeShape.appendRun, each
   * call's steps (plus its reverse-index insert's) read back for the costs, summed in call order.
   * Leaves what the call-by-call loop above it would (the oracle: iovaTree.modelBased.test.ts).
   */
  private appendRun(
    iova: number,
    translatedAddr: number,
    size: number,
    perm: IommuPerm,
    id: number | null,
    dIova: number,
    dAddr: number,
    dId: number | null,
    from: number,
    count: number,
    costNs: number,
  ): number {
    const first = this.nextSlot;
    this.reserveSlots(first + count);
    this.nextSlot = first + count;
    const permCode = PERMS.indexOf(perm);
    const { iovas, addrs, sizes, perms, ids, hasId } = this;
    for (let k = 0; k < count; k++) {
      const i = from + k;
      const slot = first + k;
      const mapId = dId === null ? id : id! + i * dId;
      iovas[slot] = iova + i * dIova;
      addrs[slot] = translatedAddr + i * dAddr;
      sizes[slot] = size;
      perms[slot] = permCode;
      if (mapId === null) hasId[slot] = 0;
      else {
        hasId[slot] = 1;
        ids[slot] = mapId;
      }
    }
    this.begin();
    if (this.runSteps.length < count) this.runSteps = new Int32Array(Math.max(count, 2 * this.runSteps.length));
    const steps = this.runSteps;
    const tree = this.tree;
    tree.appendRun(first, count, true, steps);
    if (this.useReverse) {
      let k = 0;
      // One index by host address (no ids) and host addresses that ascend exactly: once the index
      // is a tree and the run's next map comes after its last, the rest append down its spine.
      const ascending =
        !this.useIds &&
        dAddr > 0 &&
        Number.isSafeInteger(translatedAddr + from * dAddr) &&
        Number.isSafeInteger(translatedAddr + (from + count - 1) * dAddr);
      for (; k < count; k++) {
        const index = this.reverse.get(null);
        if (ascending && typeof index === 'object' && index.isAfterLast(first + k)) break;
        tree.steps = steps[k]!;
        this.insertReverse(first + k, this.idOf(first + k));
        steps[k] = tree.steps;
      }
      if (k < count) {
        const index = this.reverse.get(null) as GTreeShape<number>;
        if (this.reverseSteps.length < count) this.reverseSteps = new Int32Array(Math.max(count, 2 * this.reverseSteps.length));
        const more = this.reverseSteps;
        index.appendRun(first + k, count - k, false, more);
        for (let j = k; j < count; j++) steps[j] = steps[j]! + more[j - k]!;
      }
    }
    const stepNs = this.costs.qemuIovaTreeStepNs;
    let total = costNs;
    for (let k = 0; k < count; k++) total += steps[k]! * stepNs;
    const last = steps[count - 1]!;
    tree.steps = last;
    if (tree.size > this.mapsPeak) this.mapsPeak = tree.size;
    this.lastSteps = last;
    this.lastCostNs = last * stepNs;
    this.repeatCalls = count;
    this.repeatCostNs = total;
    return IOVA_OK;
  }

  /** Steps of each call of the last appendRun, and of its reverse-index appends (reused). */
  private runSteps = new Int32Array(0);
  private reverseSteps = new Int32Array(0);

  /** Calls of the last insertRepeat that succeeded. */
  repeatCalls = 0;
  /** The last insertRepeat's `costNs` plus the cost of each call that succeeded. */
  repeatCostNs = 0;

  /**
   * Whether every call of an insertRepeat appends past the last map without a failure: a
   * permission, safe integers throughout (exact sums, no 2^64 wrap), IOVAs that ascend without
   * overlapping (each map starts past the previous one's last byte), the first past the last map.
   * The host addresses and ids do not matter here: the reverse indexes insert through insert().
   */
  private appendsInOrder(iova: number, size: number, perm: IommuPerm, dIova: number, from: number, end: number): boolean {
    const first = iova + from * dIova;
    if (perm === 'none' || !Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(iova) || !Number.isSafeInteger(dIova))
      return false;
    if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(iova + (end - 1) * dIova + size)) return false;
    if (end - from > 1 && dIova <= size) return false;
    this.put(NEEDLE, first, 0, size, perm, null);
    return this.tree.size === 0 || this.tree.isAfterLast(NEEDLE);
  }

  /** iova_tree_find: the overlapping map met first on the GTree search path (the one nearest the root), or null. */
  find(iova: number, size: number): DmaMap | null {
    this.begin();
    this.put(NEEDLE, iova, 0, size, 'rw', null);
    this.lastMap = this.viewOrNull(this.tree.lookup(NEEDLE));
    this.countLookup();
    this.end(IOVA_OK);
    return this.lastMap;
  }

  /**
   * iova_tree_find_iova: the first map whose host range overlaps [translatedAddr, translatedAddr + size].
   * Today a g_tree_foreach in IOVA order (O(n)); with 'id' the map's id must equal the needle's; with a
   * reverse index the lowest host address wins in O(log n). `intendedId` is the guest region the caller
   * means (ground truth); undefined = unknown. Sets lastWrong and lastRemainder (non-empty = partial).
   */
  findIova(translatedAddr: number, size: number, intendedId?: number | null): DmaMap | null {
    this.begin();
    const needleId = intendedId ?? null;
    const last = translatedAddr + size;
    let found: number | null = null;
    if (this.useReverse) {
      const index = this.reverse.get(this.useIds ? needleId : null);
      if (typeof index === 'number') {
        // lowestOverlap on a tree of one map: one node visited (none when empty).
        if (index !== EMPTY_INDEX) {
          this.tree.steps++;
          if (this.addrs[index]! <= last && this.addrs[index]! + this.sizes[index]! >= translatedAddr) found = index;
        }
      } else if (index !== undefined) {
        found = index.lowestOverlap(translatedAddr, last, this.hostStart);
        this.tree.steps += index.steps;
        index.steps = 0;
      }
    } else {
      // iova_tree_find_address_iterator (plus the RFC's `needle->id != map->id` test with ids) over a
      // g_tree_foreach: charged one step per map the walk visits.
      const useIds = this.useIds;
      found = this.tree.firstInOrder(
        (m) => !(this.addrs[m]! + this.sizes[m]! < translatedAddr || last < this.addrs[m]!) && (!useIds || this.idOf(m) === needleId),
      );
    }
    this.lastMap = this.viewOrNull(found);
    this.countLookup();
    this.judgeReverse(found, translatedAddr, size, intendedId);
    this.end(IOVA_OK);
    return this.lastMap;
  }

  /** iova_tree_remove: deletes every map overlapping the range, one lookup at a time; never splits. */
  remove(iova: number, size: number): number {
    this.begin();
    this.put(NEEDLE, iova, 0, size, 'rw', null);
    let removed = 0;
    for (let m = this.tree.lookup(NEEDLE); m !== null; m = this.tree.lookup(NEEDLE)) {
      this.tree.remove(m);
      const key = this.reverseKeyOf(m);
      const index = this.useReverse ? this.reverse.get(key) : undefined;
      if (typeof index === 'number') {
        // g_tree_remove from a tree of one map: one comparison.
        this.tree.steps++;
        this.reverse.set(key, EMPTY_INDEX);
      } else if (index !== undefined) {
        index.remove(m);
        this.tree.steps += index.steps;
        index.steps = 0;
      }
      this.views.delete(m);
      this.freeSlots.push(m);
      removed++;
    }
    this.lastRemoved = removed;
    return this.end(IOVA_OK);
  }

  /**
   * iova_tree_alloc_map: the lowest hole at or above `begin` (a linear g_tree_foreach), then insert.
   * iova_tree_alloc_map_in_hole accepts a hole when `hole_last - hole_start > size` in uint64, where
   * hole_last is the next map's first byte (an exact fit works) or HWADDR_MAX past the last map (the
   * top hole needs one spare byte). A map that straddles `begin` makes that difference wrap, so the
   * hole "found" is `begin` itself and the insert fails with OVERLAP: QEMU's behaviour, kept.
   */
  allocMap(translatedAddr: number, size: number, perm: IommuPerm, begin: number, last: number, id: number | null = null): number {
    this.begin();
    if (last < begin) return this.end(IOVA_ERR_INVALID);
    let prev = -1;
    let result = -1;
    const inHole = (next: number): boolean => {
      if (next >= 0 && this.iovas[next]! + this.sizes[next]! < begin) return false;
      const holeStart = Math.max(prev < 0 ? 0 : u64(this.iovas[prev]! + this.sizes[prev]! + 1), begin);
      if (holeDiffExceeds(next < 0 ? null : this.iovas[next]!, holeStart, size)) {
        result = holeStart;
        return true;
      }
      return false;
    };
    this.tree.forEachInOrder((m) => {
      const found = inHole(m);
      prev = m;
      return found;
    });
    if (result < 0) inHole(-1);
    if (result < 0 || u64(result + size) > last) return this.end(IOVA_ERR_NOMEM);
    this.lastIova = result;
    return this.end(this.insertMap(result, translatedAddr, size, perm, id));
  }

  /** All maps in IOVA order. */
  maps(): DmaMap[] {
    const out: DmaMap[] = [];
    const steps = this.tree.steps;
    this.tree.forEachInOrder((m) => {
      out.push(this.view(m));
      return false;
    });
    this.tree.steps = steps;
    return out;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'iovaTree.lookups', this.lookups);
    addMetric(into, 'iovaTree.lookupComparisons', this.lookupComparisons);
    addMetric(into, 'iovaTree.wrongTranslations', this.wrongTranslations);
    addMetric(into, 'iovaTree.partialMatches', this.partialMatches);
    maxMetric(into, 'iovaTree.mapsPeak', this.mapsPeak);
  }

  snapshot(): unknown {
    return {
      fix: this.fix,
      maps: this.maps().map((m) => ({ ...m })),
      shape: this.tree.preOrder().map((m) => this.iovas[m]!),
      reverse: [...this.reverse.entries()].map(([id, t]) => ({
        id,
        shape: (typeof t === 'number' ? (t === EMPTY_INDEX ? [] : [t]) : t.preOrder()).map((m) => this.iovas[m]!),
      })),
    };
  }

  checkInvariants(): string[] {
    const problems = this.tree.check('IOVA tree');
    const maps = this.maps();
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i]!;
      if (m.perm === 'none') problems.push(`map at IOVA ${m.iova} has no permission`);
      if (wrapsU64(m.iova, m.size) || wrapsU64(m.translatedAddr, m.size)) problems.push(`map at IOVA ${m.iova} wraps past 2^64`);
      const next = maps[i + 1];
      if (next !== undefined && m.iova + m.size >= next.iova) problems.push(`maps at IOVA ${m.iova} and ${next.iova} overlap`);
    }
    if (this.mapsPeak < maps.length) problems.push('mapsPeak is below the live map count');
    if (this.useReverse) problems.push(...this.checkReverse(maps.length));
    else if (this.reverse.size > 0) problems.push('a reverse index exists without the reverse-index fix');
    return problems;
  }

  private checkReverse(count: number): string[] {
    const problems: string[] = [];
    let total = 0;
    for (const [id, index] of this.reverse) {
      if (typeof index === 'number') total += index === EMPTY_INDEX ? 0 : 1;
      else {
        problems.push(...index.check(`reverse index ${String(id)}`));
        total += index.size;
      }
    }
    if (total !== count) problems.push(`reverse index holds ${total} maps, the tree ${count}`);
    const steps = this.tree.steps;
    this.tree.forEachInOrder((m) => {
      const index = this.reverse.get(this.reverseKeyOf(m));
      let found: number | null = null;
      if (typeof index === 'number') found = index;
      else if (index !== undefined) {
        const indexSteps = index.steps;
        found = index.lookup(m);
        index.steps = indexSteps;
      }
      if (found !== m) problems.push(`map at IOVA ${this.iovas[m]!} is missing from the reverse index`);
      return false;
    });
    this.tree.steps = steps;
    return problems;
  }

  private insertMap(iova: number, translatedAddr: number, size: number, perm: IommuPerm, id: number | null): number {
    if (wrapsU64(iova, size) || perm === 'none') return IOVA_ERR_INVALID;
    this.put(NEEDLE, iova, translatedAddr, size, perm, id);
    if (this.tree.lookup(NEEDLE) !== null) return IOVA_ERR_OVERLAP;
    const slot = this.newSlot();
    this.put(slot, iova, translatedAddr, size, perm, id);
    this.tree.insert(slot);
    if (this.useReverse) this.insertReverse(slot, id);
    if (this.tree.size > this.mapsPeak) this.mapsPeak = this.tree.size;
    return IOVA_OK;
  }

  /** Adds the map in `slot` to its reverse index (made on first use), charging the index's steps to the tree's. */
  private insertReverse(slot: number, id: number | null): void {
    const key = this.useIds ? id : null;
    let index = this.reverse.get(key);
    if (index === undefined || index === EMPTY_INDEX) {
      // g_tree_insert into an empty tree: no comparison.
      this.reverse.set(key, slot);
      return;
    }
    if (typeof index === 'number') {
      // The second map: the tree of the first, made now (its insert compared nothing).
      const single = index;
      index = new GTreeShape<number>(this.compareHost, this.hostLast, this.reverseNodes);
      index.insert(single);
      this.reverse.set(key, index);
    }
    index.insert(slot);
    this.tree.steps += index.steps;
    index.steps = 0;
  }

  /** The key of the reverse index that holds map `m`. */
  private reverseKeyOf(m: number): number | null {
    return this.useIds ? this.idOf(m) : null;
  }

  private judgeReverse(found: number | null, translatedAddr: number, size: number, intendedId: number | null | undefined): void {
    this.lastWrong = found !== null && intendedId !== undefined && this.idOf(found) !== intendedId;
    if (this.lastWrong) this.wrongTranslations++;
    if (found === null) {
      this.lastRemainder = NO_REMAINDER;
      return;
    }
    const remainder: HostRange[] = [];
    const last = translatedAddr + size;
    const foundAddr = this.addrs[found]!;
    const foundLast = foundAddr + this.sizes[found]!;
    if (foundAddr > translatedAddr) remainder.push({ translatedAddr, size: foundAddr - 1 - translatedAddr });
    if (foundLast < last) remainder.push({ translatedAddr: foundLast + 1, size: last - foundLast - 1 });
    if (remainder.length > 0) this.partialMatches++;
    this.lastRemainder = remainder.length > 0 ? remainder : NO_REMAINDER;
  }

  private countLookup(): void {
    this.lookups++;
    this.lookupComparisons += this.tree.steps;
  }

  private begin(): void {
    this.tree.steps = 0;
    this.lastMap = null;
    this.lastRemoved = 0;
    this.lastWrong = false;
    this.lastRemainder = NO_REMAINDER;
  }

  private end(rc: number): number {
    this.lastSteps = this.tree.steps;
    this.lastCostNs = this.tree.steps * this.costs.qemuIovaTreeStepNs;
    return rc;
  }
}

/** A reverse index of one map is its slot; EMPTY_INDEX an index whose maps are all gone. */
type ReverseIndex = GTreeShape<number> | number;
const EMPTY_INDEX = -1;

/** IommuPerm by the code a map stores. */
const PERMS: readonly IommuPerm[] = ['none', 'ro', 'wo', 'rw'];

const HWADDR_MAX = (1n << 64n) - 1n;

/**
 * `hole_last - hole_start > size` in uint64 arithmetic; `holeLast` null means HWADDR_MAX (no map
 * after the hole). A negative difference wraps to a huge one, as in C.
 */
function holeDiffExceeds(holeLast: number | null, holeStart: number, size: number): boolean {
  if (holeLast === null) return HWADDR_MAX - BigInt(holeStart) > BigInt(size);
  if (holeLast < holeStart) return U64_END - (holeStart - holeLast) > size;
  if (holeLast >= 2 ** 53) return BigInt(holeLast) - BigInt(holeStart) > BigInt(size);
  return holeLast - holeStart > size;
}
