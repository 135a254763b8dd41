// A DMA-capable device serving requests: a fixed latency plus one bottleneck engine whose service
// time per request is the larger of the request-rate interval and the transfer time at the
// bandwidth limit. At QD1 a 4 KiB request takes the device's latency plus a uniform jitter drawn
// from its own PRNG stream; at high queue depth throughput saturates at the limits and queueing
// delay grows, as on real devices.
// Must not: know about DMA mapping; it only sees requests of a size arriving at a time.

import { SerialResource } from '../../sim/serialResource';
import type { SimTimeNs } from '../../sim/simTime';
import type { Prng } from '../../sim/prng';
import type { DevicePerformance } from './deviceDefaults';

export class DeviceModel {
  private readonly engine: SerialResource;
  private readonly fixedNs: number;
  private readonly minIntervalNs: number;
  private readonly nsPerByte: number;

  constructor(
    readonly name: string,
    readonly performance: DevicePerformance,
    private readonly rng: Prng,
  ) {
    this.engine = new SerialResource(`${name}.engine`);
    this.minIntervalNs = 1e9 / performance.maxIops;
    this.nsPerByte = 1e9 / performance.bandwidthBytesPerSec;
    this.fixedNs = Math.max(0, performance.latencyNs - this.serviceNs(4096));
  }

  /** Engine occupancy of one request: bounded below by the request-rate limit, else the transfer time. */
  serviceNs(bytes: number): number {
    return Math.ceil(Math.max(this.minIntervalNs, bytes * this.nsPerByte));
  }

  /** Submits a request at `now`; returns when it completes. */
  submitIo(now: SimTimeNs, bytes: number): SimTimeNs {
    const j = this.performance.jitterNs;
    const jitter = j > 0 ? this.rng.int(0, j) : 0;
    return (this.engine.acquire(now, this.serviceNs(bytes)) + this.fixedNs + jitter) as SimTimeNs;
  }

  get busyNs(): number {
    return this.engine.stats.busyNs;
  }
}
