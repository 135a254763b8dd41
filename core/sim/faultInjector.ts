// Fault injection for fail-nth sweeps (Linux's iommufd_fail_nth): every place where the kernel
// could fail an allocation or a pin asks `fail(site)`; the n-th such call of a run fails. A sweep
// reruns a passing scenario with n = 1, 2, ... until n is past the number of sites reached, and
// checks after each run that the failed call changed nothing.
// Must not: fail anything when `failAt` is 0 (the default for every real run).

export type FaultSite = 'alloc' | 'pin' | 'iommu-map';

export class FaultInjector {
  private reached = 0;

  constructor(private readonly failAt = 0) {}

  /** Counts one fault-injectable site; true when this is the one to fail. */
  fail(_site: FaultSite): boolean {
    this.reached++;
    return this.failAt > 0 && this.reached === this.failAt;
  }

  /**
   * Sites that can be reached before the one that fails (Infinity when none will fail): a caller
   * that does the work of many sites at once (a run of identical VFIO maps) passes at most this
   * many with pass(), and goes site by site through fail() when the failure is near.
   */
  sitesBeforeFailure(): number {
    return this.failAt > this.reached ? this.failAt - this.reached - 1 : Infinity;
  }

  /** Counts `sites` sites none of which fails (at most sitesBeforeFailure()). */
  pass(sites: number): void {
    if (sites > this.sitesBeforeFailure()) throw new Error(`pass(${sites}) would skip the failing site`);
    this.reached += sites;
  }

  /** How many sites were reached so far (the sweep stops once failAt exceeds this). */
  get sitesReached(): number {
    return this.reached;
  }

  get injected(): boolean {
    return this.failAt > 0 && this.reached >= this.failAt;
  }
}
