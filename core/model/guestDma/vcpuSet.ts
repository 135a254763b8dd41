// A VM's vCPUs as competing CPUs: each is a serialized resource, so DMA API work, traps into QEMU
// and a flush-queue timer on the same vCPU queue behind each other.
// Must not: decide what runs where (workloads and the DMA layer do).

import { SerialResource } from '../../sim/serialResource';
import type { VcpuTime } from './iommuDma';

export class VcpuSet implements VcpuTime {
  readonly cpus: SerialResource[];

  constructor(
    readonly vmName: string,
    count: number,
  ) {
    this.cpus = Array.from({ length: count }, (_, i) => new SerialResource(`${vmName}.vcpu${i}`));
  }

  get count(): number {
    return this.cpus.length;
  }

  /** When work arriving at `now` can start on `cpu`. */
  startAt(cpu: number, now: number): number {
    return Math.max(now, this.cpus[cpu]!.nextFreeAt());
  }

  occupy(cpu: number, fromNs: number, toNs: number): void {
    this.cpus[cpu]!.occupy(fromNs, fromNs, toNs);
  }

  /** Busy fraction of all vCPUs over [0, durationNs] (work still running at the end counts up to the end). */
  utilization(durationNs: number): number {
    if (durationNs <= 0) return 0;
    const busy = this.cpus.reduce((a, c) => a + c.stats.busyNs - Math.max(0, c.nextFreeAt() - durationNs), 0);
    return Math.min(1, busy / (durationNs * this.cpus.length));
  }
}
