import { describe, expect, it } from 'vitest';
import { SerialResource } from './serialResource';
import type { SimTimeNs } from './simTime';

const t = (n: number) => n as SimTimeNs;

describe('SerialResource (FIFO queue with deterministic service)', () => {
  it('serves one job at a time: later arrivals wait for earlier ones', () => {
    const r = new SerialResource('qemu');
    expect(r.acquire(t(0), 10)).toBe(10);
    expect(r.acquire(t(0), 10)).toBe(20);
    expect(r.acquire(t(5), 10)).toBe(30);
    expect(r.acquire(t(100), 10)).toBe(110);
    expect(r.stats.totalWaitNs).toBe(10 + 15);
    expect(r.stats.maxWaitNs).toBe(15);
  });

  it('with k servers, k jobs run in parallel', () => {
    const r = new SerialResource('device', 2);
    expect([r.acquire(t(0), 10), r.acquire(t(0), 10), r.acquire(t(0), 10)]).toEqual([10, 10, 20]);
  });
});
