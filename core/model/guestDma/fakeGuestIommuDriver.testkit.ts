// A recording GuestIommuDriver for tests of dma-iommu: each call costs a fixed time, and a map can
// be made to fail, so the DMA layer's own rules can be checked in isolation.
// Must not: be used outside tests.

import type { DmaCall } from '../base/dmaCall';
import type { GuestIommuDriver } from './guestIommuDriver';

export class FakeGuestIommuDriver implements GuestIommuDriver {
  readonly name = 'fake';
  readonly calls: string[] = [];
  failMaps = 0;
  mapped = new Map<number, number>();

  constructor(
    readonly deferredFlush = true,
    readonly shadowOnFlush = false,
    readonly apertureStart = 0,
    readonly apertureLast = 2 ** 48 - 1,
    readonly reservedRanges: readonly { start: number; last: number }[] = [],
    readonly costNs = 100,
  ) {}

  map(call: DmaCall, iova: number, _gpa: number, size: number): void {
    call.t += this.costNs;
    if (this.failMaps > 0) {
      this.failMaps--;
      call.errno = 12;
      this.calls.push(`map-fail ${iova}`);
      return;
    }
    this.mapped.set(iova, size);
    this.calls.push(`map ${iova}`);
  }

  unmap(call: DmaCall, iova: number): void {
    call.t += this.costNs;
    this.mapped.delete(iova);
    this.calls.push(`unmap ${iova}`);
  }

  iotlbSync(call: DmaCall, iova: number): void {
    call.t += this.costNs;
    this.calls.push(`sync ${iova}`);
  }

  flushIotlbAll(call: DmaCall): void {
    call.t += 10 * this.costNs;
    this.calls.push('flush-all');
  }
}
