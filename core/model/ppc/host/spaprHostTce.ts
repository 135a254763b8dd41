// What lies under one guest PHB on the host: the VFIO SPAPR TCE containers QEMU attached its host PEs
// to, KVM's in-kernel TCE tables, and, under nested PowerVM, the L0 hypercalls that actually change a
// host PE's TCEs. Guest TCE updates reach the host tables in one of two ways:
// - in-kernel (KVM_CAP_SPAPR_TCE_VFIO, v2 only): KVM writes every table attached to the LIOBN
//   (L arch/powerpc/kvm/book3s_64_vio.c kvmppc_tce_iommu_map/_unmap, one iommu_tce_kill per entry);
// - QEMU: put_tce_emu notifies the IOMMU region and the VFIO listener issues one MAP_DMA or UNMAP_DMA
//   per TCE on each container (Q hw/vfio/listener.c vfio_iommu_map_notify; errors are only logged; a
//   TCE outside guest RAM cannot be translated: "iommu map to non memory area", nothing is mapped).
// Topologies:
// - powernv (L1 = bare metal): QEMU puts every group of the guest PHB into one container, whose
//   tables are linked to every PE (L tce_iommu_attach_group -> set_window): one write per TCE, one
//   TCE kill per PE (pnv_pci_ioda2_tce_invalidate walks it_group_list).
// - powervm-nested (L1 = LPAR): a pSeries table group cannot take another group's table
//   (L spapr_tce_set_window: -EPERM), so QEMU gives each host PE its own container on the same address
//   space and every mapping is duplicated per PE (reference 001); each host TCE write is an H_GET_TCE
//   plus an H_PUT_TCE to L0 (tce_exchange_pseries), PowerVM invalidates (no tce_kill).
// The host table content is modelled as what the guest table implies: every live TCE of an enabled
// window whose page is guest RAM. The containers hold what QEMU mapped through ioctls (in-kernel
// writes bypass them); costs of clearing a window come from the guest table's live count.
// Must not: check hypercall arguments or hold guest-visible state (spaprHcalls.ts, spaprTceTable.ts).

import type { CostTable } from '../../../sim/costTable';
import type { FaultInjector } from '../../../sim/faultInjector';
import { addMetric, type MetricMap } from '../../../sim/metricSink';
import { EINVAL, OK, linuxErrnoName } from '../../base/errno';
import type { HostProcess } from '../../host/hostProcess';
import { GUEST_RAM_HVA_BASE, type QemuVm } from '../../qemu/qemuVm';
import { type MmIommuMemList, SPAPR_MAP_READ, SPAPR_MAP_WRITE, SpaprTceContainer, type SpaprPlatform } from './spaprTceContainer';
import type { PowerVmL0 } from './nestedPowerVm';
import { tcePerm, type SpaprTceTable } from '../qemu/spaprTceTable';
import { addRepeated2 } from './repeatedSum';

export type SpaprHostTopology = 'powernv' | 'powervm-nested';

export interface SpaprHostTceConfig {
  /** Lane prefix of the containers, e.g. "spapr.vm0.phb0". */
  readonly laneName: string;
  readonly topology: SpaprHostTopology;
  /** Host PEs under the guest PHB (devices' hostPe), sorted. */
  readonly hostPes: readonly number[];
  readonly version: 1 | 2;
  /** The scenario asks for in-kernel TCE handling (effective only with v2 and a working container). */
  readonly inKernel: boolean;
  readonly platform: SpaprPlatform;
  readonly ramBytes: number;
  /** qemu_minrampagesize as a shift: the host page size, or the hugetlbfs page size. */
  readonly ramPageShift: number;
}

export interface SpaprHostEnv {
  readonly process: HostProcess;
  readonly mm: MmIommuMemList;
  readonly faults: FaultInjector;
  readonly costs: CostTable;
  /** Told of every container made, so the run's limits answer sees it (HostEnvironment.trackLimitAccount). */
  readonly trackLimits?: (container: SpaprTceContainer) => void;
}

/** QEMU vfio_spapr_create_window: bits of the TCE index a level can hold (host page + 8 bits of order). */
function firstLevelsGuess(windowBytes: number, pageShift: number, hostPageShift: number): { first: number; max: number } {
  const bitsTotal = Math.log2(windowBytes) - pageShift + 3;
  const perLevel = hostPageShift + 8;
  return { first: Math.ceil(bitsTotal / perLevel), max: Math.floor((64 - pageShift) / hostPageShift) };
}

export class SpaprHostTce {
  readonly containers: SpaprTceContainer[];
  /** Why QEMU's container setup failed (REGISTER_MEMORY or ENABLE), 0 when it worked. */
  setupErrno = OK;
  /** Host TCE entries written (in host pages, summed over every host table written). */
  hostWrites = 0;
  /** Guest TCEs QEMU could not translate (page outside guest RAM): logged, never mapped. */
  unbackedMaps = 0;
  /** Host window creations QEMU failed (the guest window stays unmirrored; QEMU would hw_error). */
  windowFailures = 0;
  lastCostNs = 0;
  /** LIOBNs with a KVM table attached to the containers' groups (enabled windows, in-kernel mode; at most a few). */
  private readonly kvmLiobns: number[] = [];
  /** hostPageShift and 2^(guest shift - host shift) of the last guest page shift asked (fixed per host config). */
  private subFor = -1;
  private subHps = 0;
  private sub = 1;

  constructor(
    readonly config: SpaprHostTceConfig,
    private readonly env: SpaprHostEnv,
    private readonly qemu: QemuVm,
    private readonly l0: PowerVmL0 | null,
  ) {
    const make = (lane: string) => new SpaprTceContainer(lane, config.version, config.platform, env.process, env.mm, env.faults, env.costs);
    this.containers =
      config.topology === 'powernv' ? [make(config.laneName)] : config.hostPes.map((pe) => make(`${config.laneName}.pe${pe}`));
    for (const c of this.containers) env.trackLimits?.(c);
  }

  get nested(): boolean {
    return this.config.topology === 'powervm-nested';
  }

  /** In-kernel TCE handling is in effect (v2 only: kvmppc_tce_iommu_do_map needs pre-registered memory). */
  get inKernel(): boolean {
    return this.config.inKernel && this.config.version === 2 && this.setupErrno === OK;
  }

  /** KVM has a table for this LIOBN (kvmppc_find_table); otherwise the hypercall goes to QEMU (H_TOO_HARD). */
  knowsLiobn(liobn: number): boolean {
    return this.kvmLiobns.includes(liobn);
  }

  /**
   * vfio_spapr_container_setup for each container: v2 registers all guest RAM (the prereg listener),
   * then removes the platform's default window; v1 enables (charging its 32-bit window). All or nothing.
   */
  setup(): number {
    const ramHva = GUEST_RAM_HVA_BASE;
    const done: SpaprTceContainer[] = [];
    for (const c of this.containers) {
      const rc = this.config.version === 2 ? c.registerMemory(ramHva, this.config.ramBytes) : c.enable();
      if (rc !== OK) {
        for (const d of done) d.unregisterMemory(ramHva, this.config.ramBytes);
        this.setupErrno = rc;
        return rc;
      }
      if (this.config.version === 2) c.removeWindow(this.config.platform.tce32Start);
      done.push(c);
    }
    return OK;
  }

  /** Host IOMMU page shift for a guest window: min(guest page, RAM page size) within the host's page sizes, 0 if none. */
  hostPageShift(guestPageShift: number): number {
    const want = Math.min(guestPageShift, this.config.ramPageShift);
    let best = 0;
    for (const s of this.config.platform.pageShifts) if (s <= want && s > best) best = s;
    return best;
  }

  /**
   * The listener's region_add for a guest window that was just enabled (vfio_spapr_container_add_section_window
   * -> vfio_spapr_create_window on each container, raising the levels until TCE_CREATE succeeds, and the
   * start address must be the guest's), then, in-kernel, the KVM table and KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE
   * per group. Nested: creating a DDW is an RTAS query + create to PowerVM per host PE. All or nothing;
   * returns 0 or a Linux errno, cost in lastCostNs.
   */
  addWindow(table: SpaprTceTable): number {
    const costs = this.env.costs;
    this.lastCostNs = 0;
    if (this.setupErrno !== OK) return this.refuse(this.setupErrno);
    const hps = this.hostPageShift(table.pageShift);
    if (hps === 0) return this.refuse(EINVAL);
    if (this.config.version === 1) {
      const p = this.config.platform;
      if (hps < p.tce32PageShift || table.busOffset < p.tce32Start || table.windowEnd > p.tce32Start + p.tce32SizeBytes)
        return this.refuse(EINVAL);
    } else {
      const created: SpaprTceContainer[] = [];
      for (const c of this.containers) {
        const rc = this.createHostWindow(c, table, hps);
        if (rc !== OK) {
          for (const d of created) d.removeWindow(table.busOffset);
          return this.refuse(rc);
        }
        created.push(c);
      }
      if (this.nested && !this.isDefaultWindowRequest(table, hps)) this.lastCostNs += this.l0!.rtasCalls(2 * this.containers.length);
    }
    if (this.inKernel) {
      if (!this.kvmLiobns.includes(table.liobn)) this.kvmLiobns.push(table.liobn);
      this.lastCostNs += costs.vfioMapIoctlNs * (1 + this.config.hostPes.length);
    }
    return OK;
  }

  private createHostWindow(c: SpaprTceContainer, table: SpaprTceTable, hps: number): number {
    const { first, max } = firstLevelsGuess(table.windowBytes, hps, this.config.platform.hostPageShift);
    let rc: number = EINVAL;
    for (let levels = Math.max(1, first); levels <= max; levels++) {
      rc = c.createWindow(hps, table.windowBytes, levels);
      this.lastCostNs += c.lastCostNs;
      if (rc === OK) break;
    }
    if (rc !== OK) return rc;
    if (c.lastStartAddr !== table.busOffset) {
      // "Host doesn't support DMA window at ...": QEMU removes what it created.
      c.removeWindow(c.lastStartAddr);
      this.lastCostNs += c.lastCostNs;
      return EINVAL;
    }
    return OK;
  }

  /** pSeries spapr_tce_create_table reuses the L0 default window for a 4K request no larger than it (is_default_window_request). */
  private isDefaultWindowRequest(table: SpaprTceTable, hps: number): boolean {
    return hps === 12 && table.windowBytes <= this.config.platform.tce32SizeBytes && table.busOffset === this.config.platform.tce32Start;
  }

  private refuse(rc: number): number {
    this.windowFailures++;
    return rc;
  }

  /**
   * region_del of a guest window (vfio_listener_region_del): one UNMAP_DMA of the whole window, then
   * (v2) TCE_REMOVE on each container (errors only logged); nested: every live host TCE is exchanged
   * to 0 through L0, the window is cleaned with H_STUFF_TCE batches of 512 and removed with an RTAS
   * call. The KVM table goes too. The cost of clearing comes from the guest's live TCEs (in-kernel
   * writes never went through the containers).
   */
  removeWindow(table: SpaprTceTable): void {
    const costs = this.env.costs;
    this.lastCostNs = 0;
    const at = this.kvmLiobns.indexOf(table.liobn);
    if (at >= 0) this.kvmLiobns.splice(at, 1);
    if (this.setupErrno !== OK || table.nbTable === 0) return;
    const hps = this.hostPageShift(table.pageShift);
    const sub = hps === 0 ? 1 : 2 ** (table.pageShift - hps);
    const hostTces = table.liveBacked * sub;
    for (const c of this.containers) {
      if (this.config.version === 2) c.removeWindow(table.busOffset);
      else c.unmapDma(table.busOffset, table.windowBytes, 0);
      this.lastCostNs += costs.vfioUnmapIoctlNs;
      this.hostWrites += hostTces;
      if (this.nested) {
        this.lastCostNs += this.l0!.exchangeTcesUnqueued(hostTces);
        this.lastCostNs += this.l0!.stuffTces(Math.ceil(table.windowBytes / 2 ** (hps || 12) / 512));
        if (!this.isDefaultWindowRequest(table, hps)) this.lastCostNs += this.l0!.rtasCalls(1);
      } else {
        this.lastCostNs += hostTces * costs.hostPteWriteNs + this.config.hostPes.length * costs.hostIotlbInvalidationNs;
      }
    }
  }

  /**
   * KVM writes `n` consecutive guest TCE entries into every host table attached to the LIOBN (map or
   * clear), one entry after the other from `t`; returns when done. PowerNV: one shared table, one TCE
   * kill per PE per entry. Nested: one exchange through L0 per host page per PE per entry, queued on
   * the PE's table lock unless `boot` (then they only add up).
   */
  kvmWriteEntries(t: number, table: SpaprTceTable, n: number, boot: boolean): number {
    const costs = this.env.costs;
    if (table.pageShift !== this.subFor) {
      this.subHps = this.hostPageShift(table.pageShift);
      this.sub = 2 ** (table.pageShift - this.subHps);
      this.subFor = table.pageShift;
    }
    const sub = this.sub;
    const pes = this.config.hostPes;
    let at = t;
    if (!this.nested) {
      const writeNs = sub * costs.hostPteWriteNs;
      const killNs = pes.length * costs.hostIotlbInvalidationNs;
      // Summed entry by entry, as the kernel spends it (the same float additions as one call per
      // entry; addRepeated2: O(1) when that is exact).
      at = addRepeated2(at, writeNs, killNs, n);
      this.hostWrites += sub * n;
      return at;
    }
    const l0 = this.l0!;
    if (boot) at = l0.exchangeTcesAt(at, n * pes.length * sub);
    // Entry by entry, PE by PE, host page by host page; one PE's exchanges follow each other back to
    // back (with a single PE, all of them), so they go to its lock as one chain.
    else if (pes.length === 1) at = l0.exchangeTcesQueued(at, pes[0]!, n * sub);
    else for (let i = 0; i < n; i++) for (const pe of pes) at = l0.exchangeTcesQueued(at, pe, sub);
    this.hostWrites += sub * pes.length * n;
    return at;
  }

  /**
   * QEMU's VFIO listener for one put_tce_emu notification: MAP_DMA of the TCE's page (permission !=
   * 0) or UNMAP_DMA, on every container. Returns the cost. Failures are counted and logged like QEMU.
   */
  qemuNotify(table: SpaprTceTable, index: number, tce: number): number {
    if (this.setupErrno !== OK) return 0;
    const costs = this.env.costs;
    const perm = tcePerm(tce);
    if (perm !== 0 && !table.isBacked(tce)) {
      this.unbackedMaps++;
      return 0;
    }
    const ioba = table.iobaOf(index);
    const size = table.pageSize;
    const hps = this.hostPageShift(table.pageShift);
    const sub = hps === 0 ? 1 : 2 ** (table.pageShift - hps);
    let ns = 0;
    for (const c of this.containers) {
      ns += perm === 0 ? this.unmapOne(c, ioba, size) : this.mapOne(c, ioba, GUEST_RAM_HVA_BASE + table.gpaOf(tce), size, perm);
      this.hostWrites += sub;
      if (this.nested) ns += this.l0!.exchangeTcesUnqueued(sub);
      else ns += (this.config.hostPes.length - 1) * costs.hostIotlbInvalidationNs;
    }
    return ns;
  }

  private mapOne(c: SpaprTceContainer, ioba: number, hva: number, size: number, perm: number): number {
    const q = this.qemu;
    q.vfioMapCalls++;
    const flags = (perm & 1 ? SPAPR_MAP_READ : 0) | (perm & 2 ? SPAPR_MAP_WRITE : 0);
    const rc = c.mapDma(ioba, hva, size, flags);
    if (rc !== OK) {
      q.vfioMapFailures++;
      const name = linuxErrnoName(rc) ?? 'E?';
      q.vfioErrors.set(name, (q.vfioErrors.get(name) ?? 0) + 1);
    }
    return c.lastCostNs;
  }

  private unmapOne(c: SpaprTceContainer, ioba: number, size: number): number {
    this.qemu.vfioUnmapCalls++;
    c.unmapDma(ioba, size, 0);
    return c.lastCostNs;
  }

  /**
   * Cost of writing `tces` guest TCEs of `table` into a fresh host address space (a window change served
   * by switch-and-copy): PowerNV builds the new table and links it to every PE (one kill per PE);
   * nested has nothing to build in: each TCE is exchanged through L0 on every PE.
   */
  copyCostNs(table: SpaprTceTable, tces: number): number {
    const costs = this.env.costs;
    const hps = this.hostPageShift(table.pageShift);
    const sub = hps === 0 ? 1 : 2 ** (table.pageShift - hps);
    const pes = this.config.hostPes.length;
    this.hostWrites += tces * sub * (this.nested ? pes : 1);
    if (!this.nested) return tces * sub * costs.hostPteWriteNs + pes * costs.hostIotlbInvalidationNs;
    return this.l0!.exchangeTcesUnqueued(tces * sub * pes);
  }

  /**
   * Setting up the new address space of a switch-and-copy besides the copy: PowerNV creates its windows
   * in a new container (one TCE_CREATE each); nested resets each host PE's windows through PowerVM.
   */
  switchCostNs(): number {
    if (this.nested) return this.l0!.rtasCalls(this.containers.length);
    return this.containers.length * this.env.costs.vfioMapIoctlNs;
  }

  collectMetrics(into: MetricMap): void {
    for (const c of this.containers) c.collectMetrics(into);
    addMetric(into, 'tce.hostWrites', this.hostWrites);
    addMetric(into, 'tce.unbackedMaps', this.unbackedMaps);
    addMetric(into, 'spapr.hostWindowFailures', this.windowFailures);
  }

  snapshot(): unknown {
    return {
      setupErrno: this.setupErrno,
      kvm: [...this.kvmLiobns].sort((a, b) => a - b),
      containers: this.containers.map((c) => c.snapshot()),
    };
  }

  checkInvariants(): string[] {
    const problems = this.containers.flatMap((c) => c.checkInvariants());
    if (this.kvmLiobns.length > 0 && !this.inKernel)
      problems.push(`${this.config.laneName}: KVM tables attached without in-kernel TCE handling`);
    return problems;
  }
}
