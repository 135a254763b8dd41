// The IOVA range caches of drivers/iommu/iova.c ("magazines", Bonwick & Adams): per size class
// (1, 2, 4, ... 32 pages) each CPU has a loaded and a previous magazine of IOVA_MAG_SIZE (127)
// pfns; full magazines go to a per-class depot, which a delayed work trims back to one magazine
// per online CPU every IOVA_DEPOT_DELAY (100 ms), freeing one magazine's ranges per run. Cached
// ranges stay allocated in the IovaDomain: caching hides them from the rbtree search.
// Linux allocates every class's per-CPU magazines when the domain is set up
// (iova_domain_init_rcaches); here a class, and a CPU's pair within it, is made at its first insert
// (or at a get that takes a depot magazine): an absent one holds nothing, so it answers as the
// empty one Linux has (iovaRcacheReference.testkit.ts is the eager version, compared in the tests).
// Must not: allocate from the tree itself (alloc_iova_fast in iommuDma.ts combines both).

import type { IovaDomain } from './iovaDomain';

/** IOVA_RANGE_CACHE_MAX_SIZE: size classes 0..5, i.e. 1..32 pages. */
export const RCACHE_CLASSES = 6;
/** IOVA_MAG_SIZE (127 since Linux 6.0, "iommu/iova: change IOVA_MAG_SIZE to 127 to save memory"; 128 before). */
export const IOVA_MAG_SIZE = 127;
/** IOVA_DEPOT_DELAY */
export const IOVA_DEPOT_DELAY_NS = 100_000_000;

/** Pages of the largest size class, 2^(RCACHE_CLASSES - 1) (iova_rcache_range() in pages). */
export const RCACHE_MAX_PAGES = 32;

/**
 * order_base_2(size): the size class of `size` pages, or -1 when too large to cache (iova_rcache_get /
 * iova_rcache_insert: log_size = order_base_2(size); log_size >= IOVA_RANGE_CACHE_MAX_SIZE fails).
 */
export function rcacheClass(size: number): number {
  // Sizes above the largest class (32 pages) are never cached; below it the order is bits_per(size - 1),
  // fls(size - 1), one count-leading-zeros (size - 1 < 32 here, so clz32 is exact).
  if (size > RCACHE_MAX_PAGES) return -1;
  return size <= 1 ? 0 : 32 - Math.clz32(size - 1);
}

/** The storage of a magazine nothing was pushed to yet (shared, never written). */
const NO_PFNS = new Float64Array(0);

class Magazine {
  /** Allocated by the first push: most of a domain's CPUs x size classes x 2 magazines stay empty. */
  pfns: Float64Array = NO_PFNS;
  size = 0;

  constructor(readonly capacity: number) {}

  get full(): boolean {
    return this.size === this.capacity;
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** iova_magazine_pop: the topmost pfn that fits below limitPfn (swapped out), or 0. */
  pop(limitPfn: number): number {
    let i = this.size - 1;
    while (this.pfns[i]! > limitPfn) {
      if (i === 0) return 0;
      i--;
    }
    const pfn = this.pfns[i]!;
    this.pfns[i] = this.pfns[--this.size]!;
    return pfn;
  }

  push(pfn: number): void {
    if (this.pfns.length === 0) this.pfns = new Float64Array(this.capacity);
    this.pfns[this.size++] = pfn;
  }
}

interface CpuCache {
  loaded: Magazine;
  prev: Magazine;
}

class SizeClassCache {
  /** Per CPU, made on first use (null: both magazines empty, as Linux's freshly allocated pair). */
  readonly cpus: (CpuCache | null)[];
  readonly depot: Magazine[] = [];
  trimAt = -1;

  constructor(
    cpuCount: number,
    readonly magazineSize: number,
  ) {
    this.cpus = new Array<CpuCache | null>(cpuCount).fill(null);
  }

  cpu(i: number): CpuCache {
    let c = this.cpus[i];
    if (c === undefined) throw new RangeError(`rcache: no CPU ${i} of ${this.cpus.length}`);
    if (c === null) {
      c = { loaded: new Magazine(this.magazineSize), prev: new Magazine(this.magazineSize) };
      this.cpus[i] = c;
    }
    return c;
  }
}

export class IovaRcache {
  /** Per size class, made at its first insert (null: every magazine of the class empty, no depot). */
  private readonly classes: (SizeClassCache | null)[] = new Array<SizeClassCache | null>(RCACHE_CLASSES).fill(null);
  hits = 0;
  misses = 0;
  inserts = 0;
  /** Ranges given back to the tree (magazine full with depot trim, or cache flush). */
  returnedToTree = 0;

  constructor(
    private readonly domain: IovaDomain,
    private readonly cpuCount: number,
    /** IOVA_MAG_SIZE of the guest's kernel. */
    private readonly magazineSize: number = IOVA_MAG_SIZE,
  ) {}

  /** iova_rcache_get: a cached pfn of `size` pages ending below limitPfn (exclusive), or 0. */
  get(cpu: number, size: number, limitPfnExclusive: number, nowNs: number): number {
    const cls = rcacheClass(size);
    if (cls < 0) return 0;
    const cache = this.classes[cls]!;
    if (cache === null) {
      // Nothing was ever inserted in this class: Linux's empty magazines and depot give nothing.
      this.misses++;
      return 0;
    }
    this.trim(cache, nowNs);
    const c = cache.cpu(cpu);
    let has = false;
    if (!c.loaded.empty) has = true;
    else if (!c.prev.empty) {
      const m = c.loaded;
      c.loaded = c.prev;
      c.prev = m;
      has = true;
    } else if (cache.depot.length > 0) {
      c.loaded = cache.depot.pop()!;
      has = true;
    }
    const pfn = has ? c.loaded.pop(limitPfnExclusive - size) : 0;
    if (pfn !== 0) this.hits++;
    else this.misses++;
    return pfn;
  }

  /** iova_rcache_insert: caches a freed range; false when it is too large to cache. */
  insert(cpu: number, pfn: number, size: number, nowNs: number): boolean {
    const cls = rcacheClass(size);
    if (cls < 0) return false;
    const cache = (this.classes[cls] ??= new SizeClassCache(this.cpuCount, this.magazineSize));
    this.trim(cache, nowNs);
    const c = cache.cpu(cpu);
    if (c.loaded.full) {
      if (!c.prev.full) {
        const m = c.loaded;
        c.loaded = c.prev;
        c.prev = m;
      } else {
        cache.depot.push(c.loaded);
        c.loaded = new Magazine(cache.magazineSize);
        if (cache.trimAt < 0) cache.trimAt = nowNs + IOVA_DEPOT_DELAY_NS;
      }
    }
    c.loaded.push(pfn);
    this.inserts++;
    return true;
  }

  /** free_cpu_cached_iovas for every CPU + free_global_cached_iovas: everything back to the tree. */
  flushAll(): void {
    for (const cache of this.classes) {
      if (cache === null) continue;
      // CPU by CPU in order, as Linux does (the order ranges go back to the tree matters to it).
      for (const c of cache.cpus) {
        if (c === null) continue;
        this.freeMagazine(c.loaded);
        this.freeMagazine(c.prev);
      }
      for (const m of cache.depot) this.freeMagazine(m);
      cache.depot.length = 0;
      cache.trimAt = -1;
    }
  }

  /** Pages held in caches (still allocated in the tree but reusable only through the cache). */
  cachedPages(): number {
    let n = 0;
    this.classes.forEach((cache, cls) => {
      if (cache === null) return;
      let ranges = cache.depot.reduce((a, m) => a + m.size, 0);
      for (const c of cache.cpus) if (c !== null) ranges += c.loaded.size + c.prev.size;
      n += ranges * 2 ** cls;
    });
    return n;
  }

  /** iova_depot_work_func, run for every IOVA_DEPOT_DELAY that elapsed: one magazine per run back to the tree. */
  private trim(cache: SizeClassCache, nowNs: number): void {
    while (cache.trimAt >= 0 && nowNs >= cache.trimAt) {
      if (cache.depot.length > this.cpuCount) {
        // iova_depot_pop takes the list head: the magazine pushed last.
        this.freeMagazine(cache.depot.pop()!);

        cache.trimAt += IOVA_DEPOT_DELAY_NS;
      } else cache.trimAt = -1;
    }
  }

  private freeMagazine(m: Magazine): void {
    for (let i = 0; i < m.size; i++) {
      if (this.domain.free(m.pfns[i]!)) this.returnedToTree++;
    }
    m.size = 0;
  }
}
