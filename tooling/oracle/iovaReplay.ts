// The exact differential test of the guest IOVA allocator: a real kernel's DMA map sizes, unmaps
// and flush-queue timer flushes for one domain (from the allocator kprobes the oracle sets, see
// core/trace/dmaTraceOps.ts), each on the CPU and at the time it happened, replayed through the
// lab's dma-iommu (IommuDmaDomain: IovaDomain, IovaRcache, FlushQueue) on a driver that only
// records. Every map must get the IOVA the kernel's allocator returned.
// Must not: decide when the lab's own timers fire (the kernel's fq_flush_timeout does, as traced).

import { Simulation } from '../../core/sim/simulation';
import { resolveCostTable } from '../../core/sim/costTable';
import type { SimTimeNs } from '../../core/sim/simTime';
import { DmaCall } from '../../core/model/base/dmaCall';
import { DmaDevice, IommuDmaDomain, type FlushMode } from '../../core/model/guestDma/iommuDma';
import type { GuestIommuDriver } from '../../core/model/guestDma/guestIommuDriver';
import type { DmaTraceOp } from '../../core/trace/dmaTraceOps';

/** A guest IOMMU driver that maps nothing and costs nothing: only the allocator is under test. */
class ReplayDriver implements GuestIommuDriver {
  readonly name = 'replay';
  readonly deferredFlush = true;
  constructor(
    readonly shadowOnFlush: boolean,
    readonly apertureStart: number,
    readonly apertureLast: number,
    readonly reservedRanges: readonly { start: number; last: number }[],
  ) {}
  map(): void {}
  unmap(): void {}
  iotlbSync(): void {}
  flushIotlbAll(): void {}
}

export interface ReplayOptions {
  readonly mode: FlushMode;
  readonly cpus: number;
  readonly apertureStart: number;
  readonly apertureLast: number;
  /** The domain's reserved IOVA ranges (MSI window, PCI host bridge windows...). */
  readonly reserved: readonly { start: number; last: number }[];
  readonly forcedac: boolean;
  /** Per-CPU ring size (IOVA_DEFAULT_FQ_SIZE) or the single queue's size. */
  readonly fqSize?: number;
  /**
   * 'unmap': unmaps go through the lab's dma-iommu (strict frees at once, lazy queues until the
   * traced fq_flush_timeout). 'free': every IOVA is given back where and when the kernel's
   * free_iova_fast ran (the allocator alone, whatever the flush queue's timing).
   */
  readonly frees?: 'unmap' | 'free';
  /**
   * fq_flush_timeout hits the kprobe missed (kprobe_profile's miss column): a kprobe misses a hit
   * that nests in another probe's handler on the same CPU, and then the timer's free_iova_fast
   * calls usually miss too. Flushes the trace still shows by their invalidation are already ops
   * (dmaTraceOps.ts, `inferred`); the rest may be placed by the replay, at most this many, each
   * only where the kernel's own answer proves it: a map returned an IOVA that is still waiting in
   * the lab's flush queue, which no allocator can hand out before a flush frees it.
   */
  readonly missedTimerHits?: number;
}

export interface ReplayMismatch {
  /** Position among the replayed maps (0 = the first map). */
  readonly map: number;
  /** Position among all operations. */
  readonly index: number;
  readonly line: number;
  readonly cpu: number;
  readonly pages: number;
  readonly kernelIova: number;
  readonly labIova: number;
}

export interface ReplayResult {
  readonly maps: number;
  readonly matched: number;
  readonly unmaps: number;
  readonly flushes: number;
  /** Of `flushes`, those whose kprobe hit was missed (by their invalidation, or by a map's answer). */
  readonly inferredFlushes: number;
  readonly mismatches: readonly ReplayMismatch[];
}

/**
 * The trace's timestamps have a microsecond's resolution, so a timer flush on one CPU and an unmap
 * on another can carry the same time, and the trace then lists them in either order. The kernel's
 * own frees tell which came first: when the flush's free_iova_fast calls (on the flushing CPU,
 * before its next flush) give back an IOVA that an unmap of that same instant queued, that unmap
 * was queued before fq_flush_timeout freed the rings, so it is moved ahead of the flush. Nothing
 * else moves. Returns `ops` itself when nothing needs to move.
 */
export function unmapsBeforeSameInstantFlush(ops: readonly DmaTraceOp[]): readonly DmaTraceOp[] {
  let out: DmaTraceOp[] | null = null;
  for (let i = 0; i < ops.length; i++) {
    const flush = ops[i]!;
    if (flush.kind !== 'fq-timeout') continue;
    const freed = new Set<number>();
    for (let j = i + 1; j < ops.length && ops[j]!.kind !== 'fq-timeout'; j++) {
      const f = ops[j]!;
      if (f.kind === 'free' && f.cpu === flush.cpu) freed.add(f.pfn);
    }
    const list: DmaTraceOp[] = out ?? [...ops];
    let at = list.indexOf(flush);
    for (let j = at + 1; j < list.length && list[j]!.tNs === flush.tNs; j++) {
      const u = list[j]!;
      if (u.kind !== 'unmap' || u.cpu === flush.cpu || !freed.has(u.iova / 4096)) continue;
      list.splice(j, 1);
      list.splice(at, 0, u);
      at++;
      out = list;
    }
  }
  return out ?? ops;
}

/** Replays one domain's operations (ops already filtered to that domain, in trace order). */
export function replayIova(traced: readonly DmaTraceOp[], o: ReplayOptions): ReplayResult {
  const ops = unmapsBeforeSameInstantFlush(traced);
  const sim = new Simulation({ seed: 1, costs: resolveCostTable() });
  const driver = new ReplayDriver(o.mode === 'lazy-single', o.apertureStart, o.apertureLast, o.reserved);
  const byFree = o.frees === 'free';
  const dma = new IommuDmaDomain(
    sim,
    driver,
    {
      // Freeing where the kernel freed: a strict domain frees at the (replayed) unmap.
      mode: byFree ? 'strict' : o.mode,
      cpus: o.cpus,
      perCpuSize: o.fqSize ?? 256,
      // Timers are the kernel's: the replay calls the flush where the trace shows fq_flush_timeout.
      perCpuTimeoutNs: Number.MAX_SAFE_INTEGER / 4,
      singleSize: o.fqSize ?? 32768,
      singleTimeoutNs: Number.MAX_SAFE_INTEGER / 4,
      forcedac: o.forcedac,
    },
    sim.costs,
    { occupy: () => undefined },
  );
  const dev = new DmaDevice('replay', 64, 64, o.forcedac);
  const calls = Array.from({ length: o.cpus }, (_, c) => new DmaCall(c));
  const labIovaOf = new Map<DmaTraceOp, number>();
  const labIovaOfPfn = new Map<number, number>();
  const mismatches: ReplayMismatch[] = [];
  let maps = 0;
  let matched = 0;
  let unmaps = 0;
  let flushes = 0;
  let inferredFlushes = 0;
  let budget = (o.missedTimerHits ?? 0) - ops.filter((op) => op.kind === 'fq-timeout' && op.inferred === true).length;
  ops.forEach((op, index) => {
    // The simulation's clock follows the trace (the flush queue and the rcache depot read it).
    if (op.tNs > sim.now) sim.step(op.tNs as SimTimeNs, Number.MAX_SAFE_INTEGER);
    const call = calls[op.cpu % o.cpus]!;
    if (op.kind === 'map') {
      const pages = op.allocPages ?? Math.ceil(op.sizeBytes / 4096);
      // The mask the kernel allocated against: its limit when it is below the aperture, else the full 64 bits.
      const limitLast = op.limitPfn === null ? o.apertureLast : (op.limitPfn + 1) * 4096 - 1;
      if (!byFree && budget > 0 && dma.fq !== null && dma.fq.holds(op.iova / 4096)) {
        // The kernel handed out an IOVA the lab still holds in its queue: a timer flush whose probe
        // missed ran since that IOVA's unmap; placed as late as possible, on the allocating CPU.
        budget--;
        flushes++;
        inferredFlushes++;
        dma.fq.timerFlush(op.cpu % o.cpus);
      }
      dev.dmaMaskBits = op.sacFailed || limitLast >= o.apertureLast || limitLast === 2 ** 32 - 1 ? 64 : Math.log2(limitLast + 1);
      dma.map(call.begin(op.tNs), dev, 0x1000_0000, pages * 4096, true);
      maps++;
      const labIova = call.errno === 0 ? call.dmaAddr : 0;
      labIovaOf.set(op, labIova);
      labIovaOfPfn.set(op.iova / 4096, labIova);
      if (labIova === op.iova) matched++;
      else mismatches.push({ map: maps - 1, index, line: op.line, cpu: op.cpu, pages, kernelIova: op.iova, labIova });
    } else if (op.kind === 'free') {
      const labIova = labIovaOfPfn.get(op.pfn);
      if (!byFree || labIova === undefined || labIova === 0) return;
      labIovaOfPfn.delete(op.pfn);
      unmaps++;
      dma.unmap(call.begin(op.tNs), labIova, op.pages * 4096);
    } else if (op.kind === 'unmap') {
      if (byFree) return;
      if (op.map === null || !labIovaOf.has(op.map)) return;
      const labIova = labIovaOf.get(op.map)!;
      labIovaOf.delete(op.map);
      if (labIova === 0) return;
      unmaps++;
      dma.unmap(call.begin(op.tNs), labIova, op.map.sizeBytes);
    } else if (op.kind === 'fq-timeout') {
      if (byFree) return;
      if (dma.fq !== null && dma.fq.depth() > 0) {
        flushes++;
        if (op.inferred === true) inferredFlushes++;
        // On the CPU the kernel's timer ran on (timers migrate off idle CPUs).
        dma.fq.timerFlush(op.cpu % o.cpus);
      }
    }
  });
  return { maps, matched, unmaps, flushes, inferredFlushes, mismatches };
}
