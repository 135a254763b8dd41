// An NVMe device: a fixed access latency plus one bottleneck engine whose service time per IO is
// the larger of the IOPS limit interval and the transfer time at the bandwidth limit. At QD1 a
// 4 KiB read takes nvmeReadQd1Ns plus a uniform jitter of up to nvmeJitterNs (drawn from the
// device's own PRNG stream); at high queue depth throughput saturates at the device limits and
// queueing delay grows, as on real drives.
// Must not: know about DMA mapping; it only sees IOs of a size arriving at a time.

import type { CostTable } from '../sim/costTable';
import { SerialResource } from '../sim/serialResource';
import type { SimTimeNs } from '../sim/simTime';
import type { Prng } from '../sim/prng';

export class NvmeDevice {
  private readonly engine: SerialResource;
  private readonly fixedNs: number;

  constructor(
    readonly name: string,
    private readonly costs: CostTable,
    private readonly rng: Prng,
  ) {
    this.engine = new SerialResource(`${name}.engine`);
    this.fixedNs = Math.max(0, costs.nvmeReadQd1Ns - this.serviceNs(4096));
  }

  /** Engine occupancy of one IO: bounded below by the IOPS limit, else the transfer time. */
  serviceNs(bytes: number): number {
    return Math.max(this.costs.nvmeMinIoIntervalNs, Math.ceil((bytes / 1024) * this.costs.nvmeNsPerKiB));
  }

  /** Submits an IO at `now`; returns when it completes. */
  submitIo(now: SimTimeNs, bytes: number): SimTimeNs {
    const jitter = this.costs.nvmeJitterNs > 0 ? this.rng.int(0, this.costs.nvmeJitterNs) : 0;
    return (this.engine.acquire(now, this.serviceNs(bytes)) + this.fixedNs + jitter) as SimTimeNs;
  }

  get busyNs(): number {
    return this.engine.stats.busyNs;
  }
}
