// A DMA window change at run time (fault "window-change", docs/model.md#window-changes): the guest
// replaces its PE's 64-bit window (ibm,remove-pe-dma-window, then ibm,create-pe-dma-window with the
// new page and window shifts) and the hypervisor serves it either in place (today's VFIO SPAPR TCE:
// TCE_REMOVE + TCE_CREATE on the container) or, as reference 001 proposes for backends whose
// address spaces have fixed windows, by switching the devices to a new address space holding the
// new windows and copying into it every mapping that is still valid, i.e. the live TCEs of the
// windows that did not change ("maps in the lower range would have to be copied over": the cost is
// the copy). Under nested PowerVM nothing can be built aside and switched atomically: every copied
// TCE is exchanged through L0 on every host PE. A guest that mapped all RAM into the old window
// maps it again into the new one when it can hold RAM, else its devices fall back to the default
// window. Calls on the PHB wait until all of it is done (the IO stall); the whole change is
// accounted as one span (no BQL queueing inside it).
// Must not: define RTAS or hypercall semantics (it issues them through SpaprRtasDdw / SpaprHcalls).

import type { DurationNs, SimTimeNs } from '../../../sim/simTime';
import type { TimelineRecorder } from '../../../sim/timelineRecorder';
import { addMetric, maxMetric, type MetricMap } from '../../../sim/metricSink';
import { DmaCall } from '../../base/dmaCall';
import { RTAS_OUT_SUCCESS, rtasErrorName } from '../papr';
import type { PseriesKernel } from '../guest/pseriesKernel';
import type { SpaprHcalls } from './spaprHcalls';
import type { SpaprPhb } from './spaprPhb';
import type { SpaprRtasDdw } from './spaprRtasDdw';

export type WindowChangeStrategy = 'switch-and-copy' | 'in-place';

export interface SpaprWindowChangeDeps {
  readonly timeline: TimelineRecorder;
  readonly lane: number;
  readonly hcalls: SpaprHcalls;
  readonly rtas: SpaprRtasDdw;
  readonly kernel: PseriesKernel;
  readonly strategy: WindowChangeStrategy;
  readonly ramBytes: number;
}

export class SpaprWindowChange {
  changes = 0;
  failures = 0;
  copiedTces = 0;
  guestRemapTces = 0;
  totalNs = 0;
  maxNs = 0;
  /** Devices that lost their direct DDW because the new window cannot hold RAM. */
  directLost = 0;
  private readonly call = new DmaCall(0);
  private readonly kind: number;
  private readonly failKind: number;

  constructor(private readonly deps: SpaprWindowChangeDeps) {
    const tl = deps.timeline;
    this.kind = tl.defineKind({
      name: 'spapr.windowChange',
      args: [
        { name: 'copiedTces', format: 'int' },
        { name: 'guestRemapTces', format: 'int' },
        { name: 'newLiobn', format: 'hex' },
      ],
    });
    this.failKind = tl.defineKind({ name: 'spapr.windowChange.refused', args: [{ name: 'status', format: 'str' }], failure: true });
  }

  /** Serves a window change on `phb` starting at `nowNs` (or when a previous one ends); returns its duration. */
  change(phb: SpaprPhb, pageShift: number, windowShift: number, nowNs: number, cause: number): number {
    const { hcalls, rtas, timeline } = this.deps;
    const t0 = Math.max(nowNs, phb.busyUntilNs);
    const call = this.call.begin(t0);
    call.cause = cause;
    hcalls.bootMode = true;
    rtas.bootMode = true;
    try {
      const old = phb.tables.find((t) => t.enabled && t.windowNum !== 0) ?? null;
      if (old !== null) rtas.remove(call, old.liobn);
      const status = rtas.create(call, phb.index, pageShift, windowShift);
      if (status !== RTAS_OUT_SUCCESS) {
        this.failures++;
        timeline.record(
          call.t as SimTimeNs,
          0,
          this.deps.lane,
          this.failKind,
          timeline.internString(rtasErrorName(status) ?? '?'),
          0,
          0,
          call.cause,
        );
        phb.busyUntilNs = call.t;
        return call.t - t0;
      }
      const liobn = rtas.lastLiobn;
      let copied = 0;
      if (this.deps.strategy === 'switch-and-copy') {
        call.t += phb.host.switchCostNs();
        for (const t of phb.tables) {
          if (!t.enabled || t.liobn === liobn) continue;
          copied += t.liveBacked;
          call.t += phb.host.copyCostNs(t, t.liveBacked);
        }
      }
      const remapped = this.remapGuest(call, phb, liobn, pageShift, windowShift);
      const durationNs = call.t - t0;
      this.changes++;
      this.copiedTces += copied;
      this.guestRemapTces += remapped;
      this.totalNs += durationNs;
      this.maxNs = Math.max(this.maxNs, durationNs);
      phb.busyUntilNs = call.t;
      timeline.record(t0 as SimTimeNs, durationNs as DurationNs, this.deps.lane, this.kind, copied, remapped, liobn, cause);
      return durationNs;
    } finally {
      hcalls.bootMode = false;
      rtas.bootMode = false;
    }
  }

  /** The guest's side: a direct DDW is filled again when the new window holds RAM; otherwise it is given up. */
  private remapGuest(call: DmaCall, phb: SpaprPhb, liobn: number, pageShift: number, windowShift: number): number {
    const { kernel, rtas, ramBytes } = this.deps;
    const group = kernel.allGroups().find((g) => g.guestPe === phb.index);
    const old = group?.ddw ?? null;
    if (group === undefined || old === null) return 0;
    if (old.table !== null) group.orphanTables.push(old.table);
    if (old.direct && 2 ** windowShift >= ramBytes && kernel.mapRam(call, liobn, rtas.lastBase, pageShift) === 0) {
      group.ddw = { liobn, base: rtas.lastBase, pageShift, windowShift, direct: true, table: null };
      return Math.floor(ramBytes / 2 ** pageShift);
    }
    if (old.direct) this.directLost++;
    group.ddw = null;
    group.ddwFailed = true;
    return 0;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'window.changes', this.changes);
    addMetric(into, 'window.changeFailures', this.failures);
    addMetric(into, 'window.copiedTces', this.copiedTces);
    addMetric(into, 'window.guestRemapTces', this.guestRemapTces);
    addMetric(into, 'window.changeMs', this.totalNs / 1e6);
    maxMetric(into, 'window.stallMsMax', this.maxNs / 1e6);
    addMetric(into, 'window.directLost', this.directLost);
  }
}
