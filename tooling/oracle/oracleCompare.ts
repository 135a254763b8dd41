// Compares one configuration's kernel observation with the lab's, invariant by invariant (never
// timing: the flush-queue timer runs on TCG time). Each row holds both values, whether they agree,
// and, where they do not, the explanation from oracleExplanations.ts (who is at fault and why) or
// none: an unexplained disagreement fails `npm run test:kernel`.
// Must not: run anything; it reads two observations.

import { pgsizeRunBytes } from '../../core/model/x86/virtioIommuGuest';
import { explain, type Explanation } from './oracleExplanations';
import { replayIova } from './iovaReplay';
import { replayOptionsOf } from './oracleFixtures';
import type { OracleCapture } from './oracleQemu';
import type { LabObservation } from './oracleLab';
import { DD_BLOCK_BYTES, type OracleConfig } from './oracleMatrix';
import type { KernelObservation } from './oracleObserve';

export interface InvariantRow {
  readonly id: string;
  readonly title: string;
  readonly kernel: string;
  readonly lab: string;
  /** null: not applicable to this configuration. */
  readonly agree: boolean | null;
  readonly explanation: Explanation | null;
}

const GiB4 = 2 ** 32;

/** n / d to one decimal: the invariants are per-IO and per-map shapes, not rates. */
function ratio(n: number, d: number): string {
  return d === 0 ? '-' : (Math.round((n / d) * 10) / 10).toFixed(1);
}

function kib(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** The most common size among the maps. */
function modalSize(sizes: readonly number[]): number {
  const n = new Map<number, number>();
  for (const s of sizes) n.set(s, (n.get(s) ?? 0) + 1);
  let best = 0;
  for (const [s, c] of n) if (best === 0 || c > n.get(best)! || (c === n.get(best)! && s > best)) best = s;
  return best;
}

function sizeHistogram(sizes: readonly number[]): string {
  const n = new Map<number, number>();
  for (const s of sizes) n.set(s, (n.get(s) ?? 0) + 1);
  return [...n.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([s, c]) => `${c} x ${kib(s)}`)
    .join(', ');
}

/** The IOVA pattern of a map stream: where it sits, whether it is reused, whether it walks down. */
interface IovaPattern {
  readonly window: 'below 4 GiB' | 'at or above 4 GiB' | 'both';
  readonly distinct: number;
  readonly count: number;
  /** Share of consecutive maps (of the modal size) whose IOVA is below the previous one. */
  readonly downward: number;
  /** Most maps of the modal size live at once. */
  readonly peakLive: number;
}

function iovaPattern(maps: readonly { iova: number; sizeBytes: number }[], unmapsOf: (i: number) => number | null): IovaPattern {
  const size = modalSize(maps.map((m) => m.sizeBytes));
  const same = maps.filter((m) => m.sizeBytes === size);
  let down = 0;
  for (let i = 1; i < same.length; i++) if (same[i]!.iova < same[i - 1]!.iova) down++;
  const below = maps.every((m) => m.iova + m.sizeBytes <= GiB4);
  const above = maps.every((m) => m.iova >= GiB4);
  // Live maps of the modal size over time: +1 at a map, -1 at its unmap (ordered by index).
  const events: [number, number][] = [];
  maps.forEach((m, i) => {
    if (m.sizeBytes !== size) return;
    events.push([i, 1]);
    const u = unmapsOf(i);
    if (u !== null) events.push([u, -1]);
  });
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let peakLive = 0;
  for (const [, d] of events) {
    live += d;
    peakLive = Math.max(peakLive, live);
  }
  return {
    window: below ? 'below 4 GiB' : above ? 'at or above 4 GiB' : 'both',
    distinct: new Set(same.map((m) => m.iova)).size,
    count: same.length,
    downward: same.length > 1 ? down / (same.length - 1) : 0,
    peakLive: Math.max(1, peakLive),
  };
}

function kernelPattern(k: KernelObservation): IovaPattern {
  return { ...iovaPattern(k.maps, () => null), peakLive: kernelPeakLive(k) };
}

function kernelPeakLive(k: KernelObservation): number {
  const size = modalSize(k.maps.map((m) => m.sizeBytes));
  let live = 0;
  let peak = 0;
  const mine = new Set(k.maps.filter((m) => m.sizeBytes === size));
  for (const o of k.domainOps) {
    if (o.kind === 'map' && mine.has(o)) peak = Math.max(peak, ++live);
    else if (o.kind === 'unmap' && o.map !== null && mine.has(o.map)) live--;
  }
  return Math.max(1, peak);
}

function labMode(lab: LabObservation): string {
  if (lab.dmaLayer.startsWith('pseries')) return 'strict';
  const m = /\((strict|lazy-single|lazy)\)/.exec(lab.dmaLayer)?.[1] ?? lab.dmaLayer;
  return m === 'lazy-single' ? 'lazy' : m;
}

function kernelMode(c: OracleConfig, k: KernelObservation): string {
  if (c.viommu === 'spapr-tce') return 'strict';
  if (k.groupType === 'DMA-FQ') return 'lazy';
  if (k.groupType === 'DMA') return 'strict';
  return k.policy ?? '?';
}

/** Every invariant of one configuration. */
export function compareConfig(c: OracleConfig, k: KernelObservation, lab: LabObservation): InvariantRow[] {
  const rows: InvariantRow[] = [];
  const add = (id: string, title: string, kernel: string, labValue: string, agree: boolean | null) => {
    rows.push({ id, title, kernel, lab: labValue, agree, explanation: agree === false ? explain(c, id, k, lab) : null });
  };
  const kMaps = k.maps.length > 0 ? k.maps.length : (k.dmaApi['dma_map_page'] ?? 0) + (k.dmaApi['dma_map_sg'] ?? 0);
  const kUnmaps = k.maps.length > 0 ? k.unmaps : (k.dmaApi['dma_unmap_page'] ?? 0) + (k.dmaApi['dma_unmap_sg'] ?? 0);
  const lMaps = lab.maps.length;

  const km = kernelMode(c, k);
  const lm = labMode(lab);
  const why = k.batchingDisallowed ? ' (batching disallowed: caching mode)' : '';
  add(
    'dma-mode',
    'DMA API mode of the device (sysfs group type; lab: the layer the stack built)',
    `${km}${why}`,
    `${lm} (${lab.dmaLayer})`,
    km === lm,
  );
  if (lab.refused !== null)
    add('lab-accepts', 'The lab accepts the configuration', 'runs (emulated device)', `refused: ${lab.refused}`, false);

  add(
    'maps-per-io',
    `DMA maps per ${kib(DD_BLOCK_BYTES)} read`,
    ratio(kMaps, k.ios),
    ratio(lMaps, Math.max(1, lab.ios)),
    ratio(kMaps, k.ios) === ratio(lMaps, Math.max(1, lab.ios)),
  );
  const kSizes = k.maps.map((m) => m.sizeBytes);
  const lSizes = lab.maps.map((m) => m.sizeBytes);
  if (kSizes.length > 0) {
    add(
      'map-size',
      'DMA map sizes (most common first)',
      sizeHistogram(kSizes),
      sizeHistogram(lSizes),
      modalSize(kSizes) === modalSize(lSizes),
    );
    const kHw = k.maxHwSectorsKb === null ? '?' : `${k.maxHwSectorsKb} KiB`;
    // NVMe maps a request as one IOVA range, so the map size is the request size (virtio-blk maps segments).
    if (c.device === 'nvme')
      add(
        'request-split',
        `A ${kib(DD_BLOCK_BYTES)} read reaches the DMA API as`,
        `${Math.round(DD_BLOCK_BYTES / modalSize(kSizes))} request(s) (max_hw_sectors_kb ${kHw})`,
        lab.versionInput ? `${Math.round(DD_BLOCK_BYTES / modalSize(lSizes))} request(s)` : '1 request (no kernel-version input)',
        modalSize(kSizes) === modalSize(lSizes),
      );
  }
  addIovaRows(c, k, lab, add);
  addInvalidationRows(c, k, lab, kMaps, kUnmaps, add);
  return rows;
}

type Add = (id: string, title: string, kernel: string, lab: string, agree: boolean | null) => void;

function addIovaRows(c: OracleConfig, k: KernelObservation, lab: LabObservation, add: Add): void {
  if (k.maps.length === 0) return;
  const kp = kernelPattern(k);
  const lp = iovaPattern(lab.maps, () => null);
  const labPeak = 1;
  add('iova-window', 'Where the IOVAs lie', kp.window, lp.window, kp.window === lp.window);
  const kTop = topOfWindow(k.maps);
  const lTop = topOfWindow(lab.maps);
  add('iova-top-down', 'The first map sits at the top of its window (top-down allocation)', kTop, lTop, kTop === lTop);
  const strict = c.mode === 'strict' || k.batchingDisallowed || c.viommu === 'spapr-tce';
  if (strict && c.viommu !== 'spapr-tce') {
    // The rcache's magazines hand sizes back LIFO per CPU, so mixed sizes may use a few more IOVAs than are live at once.
    const kReuse = kp.distinct <= 2 * kp.peakLive;
    const lReuse = lp.distinct <= 2 * labPeak;
    add(
      'iova-reuse',
      'Strict: IOVAs are reused (distinct IOVAs at most twice the maps live at once)',
      `${kp.distinct} distinct, ${kp.peakLive} live at most`,
      `${lp.distinct} distinct, ${labPeak} live at most`,
      kReuse === lReuse,
    );
  } else if (!strict) {
    const kWalk = kp.downward >= 0.75;
    const lWalk = lp.downward >= 0.75;
    add(
      'iova-walk',
      'Lazy: successive maps walk down until a flush recycles IOVAs',
      `${Math.round(kp.downward * 100)}% downward, ${kp.distinct} distinct of ${kp.count}`,
      `${Math.round(lp.downward * 100)}% downward, ${lp.distinct} distinct of ${lp.count}`,
      kWalk === lWalk,
    );
  }
}

function topOfWindow(maps: readonly { iova: number; sizeBytes: number }[]): string {
  const first = maps.find((m) => m.sizeBytes === modalSize(maps.map((x) => x.sizeBytes)));
  if (first === undefined) return '-';
  const end = first.iova + first.sizeBytes;
  // The window's top: 4 GiB below it, else the next 1 GiB boundary (s390's aperture ends at start_dma + RAM).
  const top = end <= GiB4 ? GiB4 : Math.ceil(end / 2 ** 30) * 2 ** 30;
  return top - end <= 1024 * 1024 ? 'yes (within 1 MiB of the top)' : `no (${((top - end) / 2 ** 20).toFixed(1)} MiB below the top)`;
}

function addInvalidationRows(c: OracleConfig, k: KernelObservation, lab: LabObservation, kMaps: number, kUnmaps: number, add: Add): void {
  const m = lab.metrics;
  const lMaps = lab.maps.length;
  const lUnmaps = lab.unmaps;
  if (c.viommu === 'intel-iommu') {
    const kPsi = k.guest['qi.iotlb-page'] ?? 0;
    const kDsi = (k.guest['qi.iotlb-domain'] ?? 0) + (k.guest['qi.iotlb-global'] ?? 0);
    const lPsi = m['viommu.invalidations.psi'] ?? 0;
    const lDsi = m['viommu.invalidations.dsi'] ?? 0;
    add(
      'psi-per-map',
      'Page-selective IOTLB invalidations per DMA map (guest qi_submit)',
      ratio(kPsi, kMaps),
      ratio(lPsi, lMaps),
      ratio(kPsi, kMaps) === ratio(lPsi, lMaps),
    );
    const kq = k.qemu['vtd-iotlb-page'] ?? 0;
    add(
      'qemu-psi-per-io',
      'Page-selective invalidations QEMU served per IO',
      ratio(kq, k.ios),
      ratio(lPsi, Math.max(1, lab.ios)),
      Math.abs(kq / k.ios - lPsi / Math.max(1, lab.ios)) < 0.1 * Math.max(1, lPsi / Math.max(1, lab.ios)),
    );
    const kd = kDsi > 0 && kDsi < kUnmaps ? 'fewer than unmaps' : kDsi === 0 ? 'none' : 'one per unmap or more';
    const ld = lDsi > 0 && lDsi < lUnmaps ? 'fewer than unmaps' : lDsi === 0 ? 'none' : 'one per unmap or more';
    add(
      'dsi',
      'Domain-selective invalidations (flush-queue flushes)',
      `${kd} (${kDsi} for ${kUnmaps} unmaps, ${k.fqTimeouts} timer flushes)`,
      `${ld} (${lDsi} for ${lUnmaps} unmaps)`,
      kd === ld,
    );
    const kMask = modalMaskOfQemu(k.qemu);
    const lMask = labPsiMask(lab);
    if (kMask !== null)
      add(
        'psi-mask',
        'Address mask of the most common page-selective invalidation',
        `mask ${kMask}`,
        lMask === null ? '-' : `mask ${lMask}`,
        kMask === lMask,
      );
  } else if (c.viommu === 'virtio-iommu') {
    const kMap = k.qemu['viommu-map'] ?? 0;
    const kUnmap = k.qemu['viommu-unmap'] ?? 0;
    // The lab's QEMU counts MAP and UNMAP requests together; its driver sends one UNMAP per DMA unmap.
    const lReq = m['viommu.requests'] ?? 0;
    const kPer = ratio(kMap + kUnmap, k.iommuMapCalls + kUnmaps);
    const lPer = ratio(lReq, lMaps + lUnmaps);
    add('viommu-requests-per-call', 'MAP + UNMAP requests per iommu_map call and DMA unmap', kPer, lPer, kPer === lPer);
    add(
      'viommu-unmap-per-unmap',
      'UNMAP requests per DMA unmap (kernel; the lab counts requests together)',
      ratio(kUnmap, kUnmaps),
      ratio(lReq - lMaps, lUnmaps),
      ratio(kUnmap, kUnmaps) === ratio(lReq - lMaps, lUnmaps),
    );
    // The rule the lab's driver follows (__iommu_map / __iommu_unmap: one map_pages / unmap_pages call, one
    // request, per iommu_pgsize run), applied to the guest's own calls, against what QEMU received.
    const predicted = predictedViommuRequests(k);
    const actual = (k.qemuTotal['viommu-map'] ?? 0) + (k.qemuTotal['viommu-unmap'] ?? 0);
    add(
      'viommu-pgsize-rule',
      "Requests QEMU received over the run vs the lab's iommu_pgsize rule applied to the guest's iommu_map / iommu_unmap calls",
      String(actual),
      String(predicted),
      actual === predicted,
    );
    add(
      'viommu-map-per-io',
      'MAP requests per IO',
      ratio(kMap, k.ios),
      ratio(lReq - lUnmaps, Math.max(1, lab.ios)),
      ratio(kMap, k.ios) === ratio(lReq - lUnmaps, Math.max(1, lab.ios)),
    );
  } else if (c.viommu === 's390-zpci') {
    // s390 zPCI statistics (arch/s390/pci/pci_debug.c): Sync Map RPCITs (iotlb_sync_map), Sync RPCITs (strict unmaps), Global RPCITs (flushes).
    const kRange = (k.s390Stats['Sync Map RPCITs'] ?? 0) + (k.s390Stats['Sync RPCITs'] ?? 0);
    const lGlobal = m['rpcit.global'] ?? 0;
    const lRange = (m['rpcit.calls'] ?? 0) - lGlobal;
    add(
      'rpcit-per-map',
      'Range RPCITs (sync map + strict unmap) per DMA map',
      ratio(kRange, kMaps),
      ratio(lRange, lMaps),
      ratio(kRange, kMaps) === ratio(lRange, lMaps),
    );
    const kUnmapSide = k.s390Stats['Sync RPCITs'] ?? 0;
    const lUnmapSide = lRange - lMaps;
    add(
      'rpcit-per-unmap',
      'RPCITs per DMA unmap (strict: one; lazy: none, the queue flushes)',
      ratio(kUnmapSide, kUnmaps),
      ratio(lUnmapSide, lUnmaps),
      ratio(kUnmapSide, kUnmaps) === ratio(lUnmapSide, lUnmaps),
    );
    const kGlobal = k.s390Stats['Global RPCITs'] ?? 0;
    add(
      'rpcit-global',
      'Global RPCITs (flush-queue flushes) during the reads',
      `${kGlobal} (${k.fqTimeouts} timer flushes)`,
      String(lGlobal),
      kGlobal === lGlobal,
    );
  } else if (c.viommu === 'spapr-tce') {
    const kPut = (k.qemu['tce-put'] ?? 0) + (k.qemu['tce-indirect'] ?? 0);
    const lPut = (m['hcall.H_PUT_TCE'] ?? 0) + (m['hcall.H_PUT_TCE_INDIRECT'] ?? 0);
    add(
      'tce-hcalls-per-map',
      'H_PUT_TCE / H_PUT_TCE_INDIRECT per DMA map',
      ratio(kPut, kMaps),
      ratio(lPut, lMaps),
      Math.abs(kPut / kMaps - lPut / Math.max(1, lMaps)) < 0.05,
    );
    // tce_buildmulti_pSeriesLP: one page is H_PUT_TCE, more are H_PUT_TCE_INDIRECT (multi-TCE).
    const rule = (put: number, ind: number, one: number, multi: number) =>
      Math.abs(put - one) + Math.abs(ind - multi) <= 0.05 * (one + multi);
    const kOne = k.dmaApi['dma_map_page.onePage'] ?? 0;
    const kMulti = k.dmaApi['dma_map_page.multiPage'] ?? 0;
    const kRule = rule(k.qemu['tce-put'] ?? 0, k.qemu['tce-indirect'] ?? 0, kOne, kMulti);
    const lOne = lab.maps.filter((x) => x.sizeBytes <= 4096).length;
    const lRule = rule(m['hcall.H_PUT_TCE'] ?? 0, m['hcall.H_PUT_TCE_INDIRECT'] ?? 0, lOne, lMaps - lOne);
    add(
      'tce-hcall-choice',
      'H_PUT_TCE for one-page maps, H_PUT_TCE_INDIRECT for longer ones',
      `${kRule ? 'holds' : 'does not hold'}: ${k.qemu['tce-put'] ?? 0} H_PUT_TCE / ${kOne} one-page, ${k.qemu['tce-indirect'] ?? 0} INDIRECT / ${kMulti} longer`,
      `${lRule ? 'holds' : 'does not hold'}: ${m['hcall.H_PUT_TCE'] ?? 0} H_PUT_TCE / ${lOne} one-page, ${m['hcall.H_PUT_TCE_INDIRECT'] ?? 0} INDIRECT / ${lMaps - lOne} longer`,
      kRule === lRule,
    );
    const kStuff = k.qemu['tce-stuff'] ?? 0;
    const lStuff = m['hcall.H_STUFF_TCE'] ?? 0;
    add(
      'tce-stuff-per-unmap',
      'H_STUFF_TCE per DMA unmap',
      ratio(kStuff, kUnmaps),
      ratio(lStuff, lUnmaps),
      Math.abs(kStuff / kUnmaps - lStuff / Math.max(1, lUnmaps)) < 0.1,
    );
  }
}

/**
 * The requests the lab's virtio-iommu driver sends for the guest's own calls (virtioIommuGuest.ts):
 * a map is one MAP per iommu_pgsize run, each run one mapping; an unmap asks unmap_pages for the
 * next run, which drops every mapping starting in it (never splitting one) with one UNMAP request
 * covering them all, and goes on after what was dropped.
 */
function predictedViommuRequests(k: KernelObservation): number {
  let n = 0;
  const mappings = new Map<number, number>();
  for (const call of k.iommuCalls) {
    if (call[0] === 'map') {
      const [, iova, paddr, size] = call;
      for (let done = 0; done < size; n++) {
        const bytes = pgsizeRunBytes(iova + done, paddr + done, size - done);
        mappings.set(iova + done, bytes);
        done += bytes;
      }
      continue;
    }
    for (let iova = call[1], left = call[2]; left > 0;) {
      const bytes = pgsizeRunBytes(iova, iova, left);
      let unmapped = 0;
      for (let p = iova; p < iova + bytes; p += 4096) {
        const m = mappings.get(p);
        if (m === undefined) continue;
        mappings.delete(p);
        unmapped += m;
      }
      if (unmapped < bytes) break;
      n++;
      iova += unmapped;
      left -= unmapped;
    }
  }
  return n;
}

function modalMaskOfQemu(q: Readonly<Record<string, number>>): number | null {
  let best: number | null = null;
  let n = 0;
  for (const [key, v] of Object.entries(q)) {
    const m = /^vtd-iotlb-page\.mask(\d+)$/.exec(key);
    if (m !== null && v > n) {
      n = v;
      best = Number(m[1]);
    }
  }
  return best;
}

function labPsiMask(lab: LabObservation): number | null {
  const bytes = lab.psiBytes;
  if (bytes.length === 0) return null;
  return Math.log2(modalSize(bytes) / 4096);
}

/**
 * The exact replay as an invariant: the kernel's DMA map sizes, unmaps and timer flushes for the
 * device's domain (boot included) through the lab's dma-iommu must give every map the kernel's IOVA.
 */
export function replayRow(c: OracleConfig, cap: OracleCapture, k: KernelObservation): InvariantRow {
  const title = "IOVA replay: the kernel's map sizes, unmaps and flushes through the lab's allocator give the kernel's IOVAs";
  const maps = k.domainOps.filter((o) => o.kind === 'map' && o.allocPages !== null).length;
  if (maps === 0)
    return { id: 'iova-replay', title, kernel: 'no IOVA allocator (not dma-iommu)', lab: '-', agree: null, explanation: null };
  const r = replayIova(k.domainOps, replayOptionsOf(cap, k));
  const first = r.mismatches[0];
  const lab =
    first === undefined
      ? `${r.matched} of ${r.maps} maps equal`
      : `${r.matched} of ${r.maps} equal; first differs at map ${first.map} (kernel 0x${first.kernelIova.toString(16)}, lab 0x${first.labIova.toString(16)})`;
  const agree = r.mismatches.length === 0;
  return {
    id: 'iova-replay',
    title,
    kernel: `${r.maps} maps, ${r.flushes} timer flushes${r.inferredFlushes > 0 ? ` (${r.inferredFlushes} whose kprobe missed, placed by their invalidation or by the IOVA a map got back)` : ''}`,
    lab,
    agree,
    explanation: agree ? null : explain(c, 'iova-replay', k, null),
  };
}
