// One DMA API call in flight on a vCPU: its clock (the simulated time it has reached, advanced by
// every layer it crosses: guest software, a trap into QEMU, a VFIO ioctl), its result and the
// timeline event that explains it. One DmaCall per vCPU is reused, so the map/unmap path
// allocates nothing per IO.
// Must not: schedule events; layers only advance `t` (contention comes from the SerialResources
// they acquire).

import { NO_CAUSE } from '../../sim/timelineRecorder';

export class DmaCall {
  /** Simulated time this call has reached, ns. */
  t = 0;
  /** 0 or a positive Linux errno. */
  errno = 0;
  /** Timeline event that most recently explains this call (a cause for what follows). */
  cause = NO_CAUSE;
  /** Bus address the map produced (valid when errno is 0). */
  dmaAddr = 0;

  constructor(readonly cpu: number) {}

  begin(now: number): this {
    this.t = now;
    this.errno = 0;
    this.cause = NO_CAUSE;
    this.dmaAddr = 0;
    return this;
  }
}
