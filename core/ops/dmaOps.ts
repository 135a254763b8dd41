// The `dma.*` ops of an ops script (docs/model.md#ops-scripts): a script plays a guest driver
// calling the DMA API of one scenario device (dma_map_single, dma_unmap_single, dma_alloc_coherent,
// dma_set_mask[_and_coherent]) on vCPU 0 of its VM, through whatever the stack builder put in front
// of the device (dma-direct, dma-iommu over a vIOMMU, the s390 legacy code). Each device gets a
// DmaMappingLedger: the driver's own record of what it mapped (like CONFIG_DMA_API_DEBUG's entry
// table), which picks buffers for maps without a `gpa` and refuses an unmap that names no live
// mapping (the real call returns void and would corrupt the IOVA caches; dma-debug reports "device
// driver tries to free DMA memory it has not allocated"), reported here as EINVAL with nothing
// changed.
// Must not: model how addresses are chosen (the DMA layers do) or touch host state directly.

import { z } from 'zod';
import { DmaCall } from '../model/base/dmaCall';
import { DmaDirect } from '../model/guestDma/dmaDirect';
import { GuestDmaSlot } from '../model/guestDma/guestDmaSlot';
import { EINVAL, EIO, ENODEV, linuxErrnoName } from '../model/base/errno';
import type { GuestDmaOps } from '../model/guestDma/guestDmaOps';
import { dmaBitMask, type DmaDevice } from '../model/guestDma/dmaDevice';
import { guestRamRegions } from '../stack/stackBuilder';
import { addMetric, maxMetric, type MetricMap } from '../sim/metricSink';
import type { Scenario, VmConfig } from '../scenario/schema';
import { toHexOrNumber, u64 } from '../scenario/numbers';
import { defineOp, type OpDefinition, type OpOutcome, type OpsEnvironment, type OpsGuest, type OpsGuestDevice } from './opTypes';
import type { LayerInstance } from '../model/base/layerInstance';
import { PAGE_SIZE, alignDown, alignUp } from '../model/base/pages';

/** Buffers the ops pick start above the first 16 MiB of guest RAM (kernel image, ZONE_DMA). */
const BUFFER_AREA_START = 16 * 1024 * 1024;

/** ZONE_DMA width per guest arch: zone_dma_bits (x86 24 in kernel/dma/direct.c; s390 and ppc64 31). */
const ZONE_DMA_BITS: Record<Scenario['host']['arch'], number> = { x86_64: 24, s390x: 31, ppc64le: 31 };

/** The device's DMA goes through dma-direct (no vIOMMU), also behind the stack's replaceable slot. */
function isDmaDirect(dma: GuestDmaOps): boolean {
  return (dma instanceof GuestDmaSlot ? dma.layer : dma) instanceof DmaDirect;
}

/**
 * dma_supported: dma-iommu has no ->dma_supported, so every mask is accepted (kernel/dma/mapping.c);
 * dma-direct (dma_direct_supported) accepts 32 bits or more, else a mask that reaches the smaller of
 * ZONE_DMA and the last RAM page.
 */
export function dmaMaskSupported(dma: GuestDmaOps, bits: number, scenario: Scenario, vm: VmConfig): boolean {
  if (!isDmaDirect(dma) || bits >= 32) return true;
  const regions = guestRamRegions(scenario, vm);
  const last = regions[regions.length - 1]!;
  const lastRamPage = last.gpa + last.bytes - PAGE_SIZE;
  return dmaBitMask(bits) >= Math.min(dmaBitMask(ZONE_DMA_BITS[scenario.host.arch]), lastRamPage);
}

/**
 * dma_set_mask (and dma_set_coherent_mask when `coherent`, as dma_set_mask_and_coherent does: the
 * coherent mask only after the streaming one succeeded). Returns 0 or EIO; on EIO nothing changed.
 */
export function dmaSetMask(dev: DmaDevice, dma: GuestDmaOps, bits: number, coherent: boolean, scenario: Scenario, vm: VmConfig): number {
  if (!dmaMaskSupported(dma, bits, scenario, vm)) return EIO;
  dev.dmaMaskBits = bits;
  if (coherent) dev.coherentMaskBits = bits;
  return 0;
}

interface LedgerEntry {
  readonly dmaAddr: number;
  readonly sizeBytes: number;
  /** Page-aligned bytes the DMA layer mapped (iova_align(offset + size)). */
  readonly spanBytes: number;
  readonly coherent: boolean;
}

/** One device's live DMA mappings as the driver (the ops script) holds them. */
export class DmaMappingLedger implements LayerInstance {
  readonly laneName: string;
  private readonly entries = new Map<number, LedgerEntry[]>();
  private nextGpa: number;
  private readonly areaStart: number;
  private readonly areaEnd: number;
  private live = 0;
  private livePeak = 0;
  mismatches = 0;

  /** @param direct the device sits behind dma-direct: equal bus addresses may then be live twice. */
  constructor(
    readonly device: string,
    private readonly direct: boolean,
    ram: { gpa: number; bytes: number },
  ) {
    this.laneName = `dma.${device}`;
    this.areaStart = ram.gpa + BUFFER_AREA_START;
    this.areaEnd = ram.gpa + ram.bytes;
    this.nextGpa = this.areaStart;
  }

  /**
   * A page-aligned buffer of `bytes` for a map without `gpa`, after the previous one; back at the
   * area start when RAM runs out (mapping the same memory twice is legal in the DMA API).
   */
  peekGpa(bytes: number): number {
    return this.nextGpa + bytes <= this.areaEnd ? this.nextGpa : this.areaStart;
  }

  commitGpa(gpa: number, bytes: number): void {
    this.nextGpa = gpa + bytes;
  }

  add(entry: LedgerEntry): void {
    const list = this.entries.get(entry.dmaAddr);
    if (list === undefined) this.entries.set(entry.dmaAddr, [entry]);
    else list.push(entry);
    this.live++;
    if (this.live > this.livePeak) this.livePeak = this.live;
  }

  /** The live entry at `dmaAddr` of `sizeBytes`, if the driver holds one. */
  find(dmaAddr: number, sizeBytes: number): LedgerEntry | undefined {
    return this.entries.get(dmaAddr)?.find((e) => e.sizeBytes === sizeBytes);
  }

  remove(entry: LedgerEntry): void {
    const list = this.entries.get(entry.dmaAddr)!;
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) this.entries.delete(entry.dmaAddr);
    this.live--;
  }

  get liveMappings(): number {
    return this.live;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'dma.unmapMismatches', this.mismatches);
    maxMetric(into, 'dma.liveMappingsPeak', this.livePeak);
  }

  /** Live entries in address order and the next buffer address (counters are metrics, not state). */
  snapshot(): unknown {
    const list = [...this.entries.values()].flat().map((e) => [e.dmaAddr, e.sizeBytes, e.spanBytes, e.coherent] as const);
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return { nextGpa: this.nextGpa, entries: list };
  }

  checkInvariants(): string[] {
    const problems: string[] = [];
    const all = [...this.entries.values()].flat();
    if (all.length !== this.live) problems.push(`${this.device}: ${all.length} entries recorded but ${this.live} counted live`);
    if (this.direct) return problems;
    // dma-iommu hands out disjoint IOVA ranges, never IOVA 0 (iommu_dma_init_domain: base_pfn >= 1).
    const spans = all.map((e) => [alignDown(e.dmaAddr, PAGE_SIZE), e.spanBytes] as const).sort((a, b) => a[0] - b[0]);
    spans.forEach(([start, bytes], i) => {
      if (start === 0) problems.push(`${this.device}: a mapping starts at IOVA 0`);
      const next = spans[i + 1];
      if (next !== undefined && start + bytes > next[0]) problems.push(`${this.device}: IOVA ranges at ${start} and ${next[0]} overlap`);
    });
    return problems;
  }
}

const deviceArg = z.string().min(1).max(64).meta({ description: 'Scenario device whose driver makes the call.' });
const sizeArg = u64.refine((v) => v > 0 && v <= 2 ** 40, 'must be between 1 byte and 1 TiB');

function guestOf(env: OpsEnvironment): OpsGuest {
  if (env.guest === undefined)
    throw new Error('dma.* ops need the guest stack: this OpsEnvironment has no guest() (use OpsWorkloadRunner)');
  return env.guest();
}

function ledgerOf(env: OpsEnvironment, name: string, found: OpsGuestDevice): DmaMappingLedger {
  const ram = guestRamRegions(env.scenario, found.vm.config)[0]!;
  return env.instance(`dma:${name}`, () => new DmaMappingLedger(name, isDmaDirect(found.device.dma), ram));
}

function refused(name: string, errno: number): OpOutcome {
  return { ok: false, errno: linuxErrnoName(errno), ret: null, costNs: 0, lane: `dma.${name}` };
}

/**
 * Runs one DMA API call on vCPU 0 of the device's VM, once the vCPU is free at or after the step's
 * time; returns the call's own duration (not the wait for the vCPU: a repeated step's calls queue on
 * the vCPU, and counting each one's wait again would pile up quadratically).
 */
function onVcpu0(guest: OpsGuest, found: OpsGuestDevice, body: (call: DmaCall) => void): { call: DmaCall; costNs: number } {
  const vcpus = found.vm.vcpus;
  const call = new DmaCall(0).begin(vcpus.startAt(0, guest.nowNs));
  const start = call.t;
  body(call);
  vcpus.occupy(0, start, call.t);
  return { call, costNs: call.t - start };
}

function mapLike(
  env: OpsEnvironment,
  name: string,
  sizeBytes: number,
  gpa: number | undefined,
  write: boolean,
  coherent: boolean,
): OpOutcome {
  const guest = guestOf(env);
  const found = guest.device(name);
  if (found === undefined) return refused(name, ENODEV);
  const ledger = ledgerOf(env, name, found);
  const offset = gpa === undefined ? 0 : gpa % PAGE_SIZE;
  const spanBytes = alignUp(offset + sizeBytes, PAGE_SIZE);
  const pageGpa = gpa === undefined ? ledger.peekGpa(spanBytes) : gpa - offset;
  const { dev, dma } = found.device;
  const { call, costNs } = onVcpu0(guest, found, (c) =>
    coherent ? dma.allocCoherent(c, dev, pageGpa, spanBytes) : dma.map(c, dev, pageGpa, spanBytes, write),
  );
  if (call.errno !== 0) return { ok: false, errno: linuxErrnoName(call.errno), ret: null, costNs, lane: ledger.laneName };
  if (gpa === undefined) ledger.commitGpa(pageGpa, spanBytes);
  const dmaAddr = call.dmaAddr + offset;
  ledger.add({ dmaAddr, sizeBytes, spanBytes, coherent });
  return { ok: true, errno: null, ret: toHexOrNumber(dmaAddr), costNs, lane: ledger.laneName };
}

const mapOp = defineOp({
  name: 'dma.map',
  layer: 'dma',
  summary: 'dma_map_single: map `size` bytes at `gpa` (default: a buffer the op picks) for the device; ret = DMA address',
  args: z.strictObject({
    device: deviceArg,
    size: sizeArg,
    dir: z.enum(['to-device', 'from-device', 'bidirectional']).default('bidirectional'),
    gpa: u64.optional(),
  }),
  // DMA_TO_DEVICE: the device only reads the buffer, so the mapping need not be writable.
  run: (env, a) => mapLike(env, a.device, a.size, a.gpa, a.dir !== 'to-device', false),
});

const allocCoherentOp = defineOp({
  name: 'dma.allocCoherent',
  layer: 'dma',
  summary: 'dma_alloc_coherent: a buffer of `size` bytes mapped with the coherent DMA mask; ret = DMA address',
  args: z.strictObject({ device: deviceArg, size: sizeArg }),
  run: (env, a) => mapLike(env, a.device, a.size, undefined, true, true),
});

const unmapOp = defineOp({
  name: 'dma.unmap',
  layer: 'dma',
  summary: 'dma_unmap_single / dma_free_coherent of a live mapping (same DMA address and size)',
  args: z.strictObject({ device: deviceArg, dmaAddr: u64, size: sizeArg }),
  run: (env, a) => {
    const guest = guestOf(env);
    const found = guest.device(a.device);
    if (found === undefined) return refused(a.device, ENODEV);
    const ledger = ledgerOf(env, a.device, found);
    const entry = ledger.find(a.dmaAddr, a.size);
    if (entry === undefined) {
      ledger.mismatches++;
      return refused(a.device, EINVAL);
    }
    const pageAddr = alignDown(a.dmaAddr, PAGE_SIZE);
    const { costNs } = onVcpu0(guest, found, (c) => found.device.dma.unmap(c, pageAddr, entry.spanBytes));
    ledger.remove(entry);
    return { ok: true, errno: null, ret: null, costNs, lane: ledger.laneName };
  },
});

const setMaskOp = defineOp({
  name: 'dma.setMask',
  layer: 'dma',
  summary: 'dma_set_mask_and_coherent (or dma_set_mask alone with coherent=false); ret = bits',
  args: z.strictObject({
    device: deviceArg,
    bits: z.number().int().min(1).max(64),
    coherent: z.boolean().default(true),
  }),
  run: (env, a) => {
    const found = guestOf(env).device(a.device);
    if (found === undefined) return refused(a.device, ENODEV);
    const errno = dmaSetMask(found.device.dev, found.device.dma, a.bits, a.coherent, env.scenario, found.vm.config);
    if (errno !== 0) return refused(a.device, errno);
    return { ok: true, errno: null, ret: a.bits, costNs: 0, lane: `dma.${a.device}` };
  },
});

export const DMA_OPS: OpDefinition[] = [mapOp, unmapOp, allocCoherentOp, setMaskOp];
