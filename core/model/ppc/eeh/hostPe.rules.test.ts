import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../../sim/timelineRecorder';
import { EehTimeline } from './eehTimeline';
import { eehIoErrorValue, HostPe } from './hostPe';

function pe(): HostPe {
  return new HostPe(3, ['nvme0', 'nvme1'], new EehTimeline(new TimelineRecorder()));
}

describe('host PE: a frozen PE reads all ones (EEH_IO_ERROR_VALUE), drops writes, stops DMA', () => {
  it.each([
    [1, 0xff],
    [2, 0xffff],
    [4, 0xffffffff],
  ] as const)('EEH_IO_ERROR_VALUE(%i) = ~0U >> ((4 - size) * 8) = %i', (w, v) => {
    expect(eehIoErrorValue(w)).toBe(v);
  });

  it('an 8-byte read of a frozen PE is (u64)~0, kept exact as a bigint', () => {
    expect(eehIoErrorValue(8)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('a working PE answers (registers are not modelled: 0), delivers writes and lets DMA through', () => {
    const p = pe();
    expect(p.mmioRead(4)).toBe(0);
    expect(p.mmioRead(8)).toBe(0n);
    expect(p.mmioWrite()).toBe(true);
    expect(p.dmaAttempt()).toBe(true);
    expect([p.allOnesReads, p.writesDropped, p.dmaBlocked]).toEqual([0, 0, 0]);
  });

  it('after a freeze every width reads all ones, writes are dropped and DMA never completes', () => {
    const p = pe();
    expect(p.freeze(7, 10, 'error')).toBe(true);
    expect([p.mmioRead(1), p.mmioRead(2), p.mmioRead(4), p.mmioRead(8)]).toEqual([0xff, 0xffff, 0xffffffff, 0xffff_ffff_ffff_ffffn]);
    expect(p.mmioWrite()).toBe(false);
    expect(p.dmaAttempt()).toBe(false);
    expect([p.allOnesReads, p.writesDropped, p.dmaBlocked]).toEqual([4, 1, 1]);
  });

  it('with MMIO thawed (stopped-dma) reads answer again but DMA stays stopped', () => {
    const p = pe();
    p.freeze(1, 0, 'error');
    p.setState('stopped-dma', 1);
    expect(p.mmioRead(4)).toBe(0);
    expect(p.dmaAttempt()).toBe(false);
  });

  it('each error event keeps its serial; freezing a frozen PE changes nothing', () => {
    const p = pe();
    expect(p.freeze(5, 0, 'error')).toBe(true);
    expect(p.freeze(6, 1, 'error')).toBe(false);
    expect([p.lastSerial, p.errorFreezes]).toEqual([5, 1]);
  });

  it('an unavailable PE comes back frozen once its time is over, not before, as a new error event', () => {
    const p = pe();
    p.makeUnavailable(1000, 0);
    p.endUnavailable(999, () => 9);
    expect(p.state).toBe('unavailable');
    expect(p.freeze(1, 500, 'error')).toBe(false);
    p.endUnavailable(1000, () => 9);
    expect(p.state).toBe('stopped');
    expect([p.lastSerial, p.errorFreezes]).toEqual([9, 1]);
  });

  it('armed step failures are one-shot', () => {
    const p = pe();
    p.arm('reset');
    expect(p.consume('reset')).toBe(true);
    expect(p.consume('reset')).toBe(false);
  });
});
