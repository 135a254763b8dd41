// Captured real traces kept in the repository (tooling/oracle/fixtures/), so the IOVA replay and
// the trace import are tested by `npm test` without a network or QEMU: the guest's trace cut down
// to the events those tests read (allocator kprobes, iommu:map / iommu:unmap, dma:*, flushes,
// markers), QEMU's log cut down to its IOMMU and block events, and what the replay needs to know
// about the domain (mode, CPUs, aperture, reserved ranges), with the kernel and QEMU versions.
// Must not: hold kernel or QEMU code or binaries; only trace text the oracle captured.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseFtraceText } from '../../core/trace/ftraceText';
import { busiestDomain, dmaOpsFromProbes, type DmaTraceOp } from '../../core/trace/dmaTraceOps';
import type { FlushMode } from '../../core/model/guestDma/iommuDma';
import type { OracleCapture } from './oracleQemu';
import type { KernelObservation } from './oracleObserve';
import type { ReplayOptions } from './iovaReplay';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/**
 * The configurations whose traces the repository keeps, and which events of each: 'all' keeps every
 * event the import reads, 'replay' only what the IOVA replay needs (allocator kprobes, unmaps,
 * markers), which keeps the large page-by-page traces small.
 */
export const FIXTURE_CONFIGS: Readonly<Record<string, 'all' | 'replay'>> = {
  'x86_64-6.1-intel-cmoff-lazy-nvme': 'all',
  'x86_64-6.1-intel-cmoff-lazy-virtio-blk': 'replay',
  'x86_64-6.12-intel-cmoff-lazy-nvme': 'all',
  'x86_64-6.12-virtio-iommu-strict-nvme': 'all',
  'x86_64-6.12-virtio-iommu-lazy-nvme': 'replay',
  's390x-6.12-s390-zpci-strict-virtio-blk': 'replay',
};

export interface FixtureMeta {
  readonly id: string;
  readonly kernelPkg: string;
  readonly kernelVersion: string;
  readonly kernelRelease: string;
  readonly qemuVersion: string;
  readonly replay: ReplayOptions;
}

const KEEP_EVENTS = {
  all: /: (alloc_iova|alloc_iova_ret|free_iova|fq_timeout|map|unmap|tracing_mark_write|dma_\w+|qi_submit|cache_tag_flush_\w+|rpcit|viommu_\w+): /,
  replay: /: (alloc_iova|alloc_iova_ret|free_iova|fq_timeout|unmap|qi_submit|tracing_mark_write): /,
};
const KEEP_QEMU = /(vtd_inv_desc_iotlb|virtio_iommu_(map|unmap)|spapr_iommu|pci_nvme_read|virtio_blk_handle_read)/;

/** The miss count of one probe in tracefs kprobe_profile ("<event> <hits> <misses>" per line). */
export function kprobeMisses(profile: string, event: string): number {
  const m = new RegExp(`^\\s*${event}\\s+\\d+\\s+(\\d+)\\s*$`, 'm').exec(profile);
  return m === null ? 0 : Number(m[1]);
}

/** Hits every probe in kprobe_profile missed. */
export function kprobeMissesTotal(profile: string): number {
  let n = 0;
  for (const m of profile.matchAll(/^\s*\S+\s+\d+\s+(\d+)\s*$/gm)) n += Number(m[1]);
  return n;
}

/** The replay's options for a captured domain: its mode, CPUs, aperture and reserved ranges. */
export function replayOptionsOf(cap: OracleCapture, k: KernelObservation): ReplayOptions {
  const lazy = k.groupType === 'DMA-FQ';
  // s390-iommu sets shadow_on_flush under a hypervisor: the single flush queue.
  const mode: FlushMode = !lazy ? 'strict' : cap.config.viommu === 's390-zpci' ? 'lazy-single' : 'lazy';
  let limitPfn = 0;
  let low = Infinity;
  for (const o of k.domainOps) {
    if (o.kind !== 'map' || o.limitPfn === null) continue;
    limitPfn = Math.max(limitPfn, o.limitPfn);
    low = Math.min(low, o.iova);
  }
  return {
    mode,
    cpus: 2,
    // s390: the aperture starts at start_dma (4 GiB), which the reserved [0, 4 GiB) range also says.
    apertureStart: cap.config.viommu === 's390-zpci' ? 2 ** 32 : 0,
    apertureLast: (limitPfn + 1) * 4096 - 1,
    reserved: k.reserved.filter((r) => r.start <= (limitPfn + 1) * 4096 - 1),
    forcedac: cap.config.viommu === 's390-zpci',
    frees: 'unmap',
    missedTimerHits: kprobeMisses(cap.sections['kprobe_profile'] ?? '', 'fq_timeout'),
  };
}

/** Writes a capture's fixture (trace, QEMU log, meta) into tooling/oracle/fixtures/. */
export function writeFixture(cap: OracleCapture, k: KernelObservation): void {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const keep = KEEP_EVENTS[FIXTURE_CONFIGS[cap.config.id] ?? 'all'];
  const trace = (cap.sections['trace'] ?? '')
    .split('\n')
    .filter((l) => l.startsWith('#') || keep.test(l))
    .join('\n');
  const qemu = cap.qemuLog
    .split('\n')
    .filter((l) => KEEP_QEMU.test(l))
    .join('\n');
  const meta: FixtureMeta = {
    id: cap.config.id,
    kernelPkg: cap.kernelPkg,
    kernelVersion: cap.kernelVersion,
    kernelRelease: cap.kernelRelease,
    qemuVersion: cap.qemuVersion,
    replay: replayOptionsOf(cap, k),
  };
  const base = join(FIXTURE_DIR, cap.config.id);
  writeFileSync(`${base}.trace.txt.gz`, gzipSync(trace, { level: 9 }));
  writeFileSync(`${base}.qemu.log.gz`, gzipSync(qemu, { level: 9 }));
  writeFileSync(`${base}.json`, JSON.stringify(meta, null, 2) + '\n');
}

export interface Fixture {
  readonly meta: FixtureMeta;
  readonly trace: string;
  readonly qemuLog: string;
}

export function readFixture(id: string): Fixture {
  const base = join(FIXTURE_DIR, id);
  if (!existsSync(`${base}.json`)) throw new Error(`no oracle fixture ${id} (npm run test:kernel -- --write-fixtures captures them)`);
  return {
    meta: JSON.parse(readFileSync(`${base}.json`, 'utf8')) as FixtureMeta,
    trace: gunzipSync(readFileSync(`${base}.trace.txt.gz`)).toString('utf8'),
    qemuLog: gunzipSync(readFileSync(`${base}.qemu.log.gz`)).toString('utf8'),
  };
}

/** The DMA operations of the fixture's busiest domain (the device the workload drove), boot included. */
export function fixtureDomainOps(f: Fixture): DmaTraceOp[] {
  const ops = dmaOpsFromProbes(parseFtraceText(f.trace));
  const domain = busiestDomain(ops);
  return ops.filter(
    (o) =>
      (o.kind === 'map' && o.domain === domain) ||
      (o.kind === 'unmap' && o.map !== null && o.map.domain === domain) ||
      (o.kind === 'free' && o.domain === domain) ||
      o.kind === 'fq-timeout',
  );
}
