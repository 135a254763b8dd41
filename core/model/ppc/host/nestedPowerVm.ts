// PowerVM (L0) as the L1 KVM host running on it sees it, for one L2 guest: the nested API v2
// hypercalls the L1 makes to create and run the L2 (Documentation/arch/powerpc/kvm-nested.rst), the
// reflection of every L2 hypercall (the L2 exits to L0, H_GUEST_RUN_VCPU returns to L1 with exit
// reason 0xC00, L1 runs the vCPU again), and the TCE hypercalls the L1 kernel makes to L0 because an
// L1 LPAR has no IOMMU tables of its own: the pSeries iommu_table's xchg_no_kill
// (arch/powerpc/platforms/pseries/iommu.c tce_exchange_pseries) is an H_GET_TCE plus an H_PUT_TCE on
// the host PE's LIOBN, under that table's large_pool lock, so exchanges on one host PE serialize.
// Must not: decide which TCEs are written (spaprHostTce.ts does) or model L0's own tables.

import { addRepeated } from './repeatedSum';
import type { CostTable } from '../../../sim/costTable';
import { addMetric, maxMetric, type MetricMap } from '../../../sim/metricSink';
import { GapFillingLock } from '../../../sim/gapFillingLock';

/** H_GUEST_RUN_VCPU exit reason (R4) for an L2 hypercall. */
export const NESTED_EXIT_HCALL = 0xc00;

export class PowerVmL0 {
  private readonly tableLocks = new Map<number, GapFillingLock>();
  /** The same locks by PE number for small PE numbers (locks are never removed). */
  private readonly locksByPe: (GapFillingLock | undefined)[] = [];
  guestGetCapabilities = 0;
  guestSetCapabilities = 0;
  guestCreate = 0;
  guestCreateVcpu = 0;
  guestSetState = 0;
  runVcpu = 0;
  /** H_GUEST_RUN_VCPU returns with exit reason 0xC00 (an L2 hypercall for L1 to serve). */
  hcallExits = 0;
  putTce = 0;
  getTce = 0;
  stuffTce = 0;
  rtas = 0;
  /** Time spent in L1 -> L0 calls, ns. */
  l0Ns = 0;
  /** Time L1 CPUs waited for a host PE's table lock, ns. */
  lockWaitNs = 0;

  constructor(
    private readonly costs: CostTable,
    private readonly clock: { readonly now: number },
  ) {}

  /**
   * The L1 creates and starts the L2 (kvmhv_nestedv2 flow in kvm-nested.rst): capabilities are
   * negotiated (GET then SET), the guest is created, and each vCPU is created and gets its state
   * set, including the registration of its H_GUEST_RUN_VCPU input/output buffers (ids 0x0C00/0x0C01);
   * one more H_GUEST_SET_STATE sets guest-wide state. The lab counts these once per L2 at VM start.
   */
  startGuest(vcpus: number): void {
    this.guestGetCapabilities++;
    this.guestSetCapabilities++;
    this.guestCreate++;
    this.guestCreateVcpu += vcpus;
    this.guestSetState += vcpus + 1;
  }

  /** One L2 hypercall served by L1: the exit to L1 (reason 0xC00) and the H_GUEST_RUN_VCPU that resumes the L2. */
  reflectHcall(): void {
    this.hcallExits++;
    this.runVcpu++;
  }

  /**
   * tce_exchange_pseries on host PE `pe`: H_GET_TCE then H_PUT_TCE under the table's lock, starting
   * at `t`; returns when it is done. `serialize` false (boot-time work) adds the cost without queueing.
   */
  exchangeTce(t: number, pe: number, serialize: boolean): number {
    const costNs = 2 * this.costs.l1ToL0HcallNs;
    this.getTce++;
    this.putTce++;
    this.l0Ns += costNs;
    if (!serialize) return t + costNs;
    const done = this.lockOf(pe).acquire(t, costNs);
    this.lockWaitNs += done - costNs - t;
    return done;
  }

  /**
   * `n` exchangeTce calls (serialized) on host PE `pe`, each starting when the one before is done,
   * the first at `t`: the same counts, L0 time, lock waits and lock state, with the lock's chain
   * (GapFillingLock.acquireChain) instead of a search per exchange; returns when the last is done.
   */
  exchangeTcesQueued(t: number, pe: number, n: number): number {
    this.chainCostNs = 2 * this.costs.l1ToL0HcallNs;
    return this.lockOf(pe).acquireChain(t, this.chainCostNs, n, this.onChainExchange);
  }

  private chainCostNs = 0;
  /** One exchange of a chain, as exchangeTce accounts it. */
  private readonly onChainExchange = (arrival: number, release: number): void => {
    const costNs = this.chainCostNs;
    this.getTce++;
    this.putTce++;
    this.l0Ns += costNs;
    this.lockWaitNs += release - costNs - arrival;
  };

  /**
   * `n` exchanges of boot-time work (exchangeTce with serialize false) back to back from `t`: each adds
   * its cost, in order; returns when the last is done.
   */
  exchangeTcesAt(t: number, n: number): number {
    const costNs = 2 * this.costs.l1ToL0HcallNs;
    // Added one exchange at a time (addRepeated: O(1) when that is exact).
    this.l0Ns = addRepeated(this.l0Ns, costNs, n);
    this.getTce += n;
    this.putTce += n;
    return addRepeated(t, costNs, n);
  }

  /** `n` exchanges done back to back by one L1 CPU outside the hot path (window clean-up, copies); returns their cost. */
  exchangeTcesUnqueued(n: number): number {
    this.getTce += n;
    this.putTce += n;
    const ns = n * 2 * this.costs.l1ToL0HcallNs;
    this.l0Ns += ns;
    return ns;
  }

  /** H_STUFF_TCE calls of the L1 (clearing a window), their cost. */
  stuffTces(calls: number): number {
    this.stuffTce += calls;
    const ns = calls * this.costs.l1ToL0HcallNs;
    this.l0Ns += ns;
    return ns;
  }

  /** RTAS calls of the L1 to PowerVM (DDW query/create/remove/reset for a host PE), their cost. */
  rtasCalls(calls: number): number {
    this.rtas += calls;
    const ns = calls * this.costs.l1ToL0HcallNs;
    this.l0Ns += ns;
    return ns;
  }

  private lockOf(pe: number): GapFillingLock {
    const small = pe >= 0 && pe < 256 && Number.isInteger(pe);
    if (small) {
      const hit = this.locksByPe[pe];
      if (hit !== undefined) return hit;
    }
    let lock = this.tableLocks.get(pe);
    if (lock === undefined) {
      // A host PE table's large_pool lock: a spinlock, so whoever comes first in time gets it.
      lock = new GapFillingLock(this.clock);
      this.tableLocks.set(pe, lock);
    }
    if (small) this.locksByPe[pe] = lock;
    return lock;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'hcall.H_GUEST_GET_CAPABILITIES', this.guestGetCapabilities);
    addMetric(into, 'hcall.H_GUEST_SET_CAPABILITIES', this.guestSetCapabilities);
    addMetric(into, 'hcall.H_GUEST_CREATE', this.guestCreate);
    addMetric(into, 'hcall.H_GUEST_CREATE_VCPU', this.guestCreateVcpu);
    addMetric(into, 'hcall.H_GUEST_SET_STATE', this.guestSetState);
    addMetric(into, 'hcall.H_GUEST_RUN_VCPU', this.runVcpu);
    addMetric(into, 'nested.hcallExits', this.hcallExits);
    addMetric(into, 'nested.l0.H_PUT_TCE', this.putTce);
    addMetric(into, 'nested.l0.H_GET_TCE', this.getTce);
    addMetric(into, 'nested.l0.H_STUFF_TCE', this.stuffTce);
    addMetric(into, 'nested.l0.rtas', this.rtas);
    addMetric(into, 'nested.l0Ms', this.l0Ns / 1e6);
    maxMetric(into, 'nested.l0LockWaitMs', this.lockWaitNs / 1e6);
  }
}
