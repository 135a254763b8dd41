// The exact differential test of the guest IOVA allocator against real kernels: each committed
// fixture is a trace a real guest wrote under QEMU (tooling/oracle, `npm run test:kernel`), with
// the allocator's own calls recorded by kprobes. Replaying its DMA map sizes, unmaps and
// flush-queue timer flushes, per CPU and in order, through the lab's dma-iommu must give every map
// the IOVA the kernel gave it.
import { describe, expect, it } from 'vitest';
import { FIXTURE_CONFIGS, fixtureDomainOps, readFixture } from './oracleFixtures';
import { replayIova, unmapsBeforeSameInstantFlush } from './iovaReplay';

describe('IOVA allocator replay of real kernel traces', () => {
  it.each(Object.keys(FIXTURE_CONFIGS))('%s: every map gets the IOVA the kernel gave it', (id) => {
    const f = readFixture(id);
    const ops = fixtureDomainOps(f);
    const r = replayIova(ops, f.meta.replay);
    expect(r.maps).toBeGreaterThan(200);
    expect(r.mismatches.slice(0, 3)).toEqual([]);
    expect(r.matched).toBe(r.maps);
    expect(r.unmaps).toBeGreaterThan(r.maps * 0.9);
    if (f.meta.replay.mode !== 'strict') expect(r.flushes).toBeGreaterThan(0);
  });

  it('fails when the lab frees a timer flush into the queueing CPU rcache (the bug the 6.1 trace found)', () => {
    const f = readFixture('x86_64-6.1-intel-cmoff-lazy-nvme');
    const ops = fixtureDomainOps(f).map((o) => (o.kind === 'fq-timeout' ? { ...o, cpu: 1 } : o));
    expect(replayIova(ops, f.meta.replay).mismatches.length).toBeGreaterThan(0);
  });
  it('places a timer flush whose kprobe missed only where the trace proves it, and no more than kprobe_profile counts', () => {
    // 6.1: the missed fq_flush_timeout left its domain-selective invalidation inside an allocation.
    // A second 6.1 capture, kept for this (kprobe_profile: fq_timeout 24 hits, 1 miss).
    const f61 = readFixture('x86_64-6.1-intel-cmoff-lazy-nvme.missed-timer-probe');
    const ops61 = fixtureDomainOps(f61);
    expect(ops61.some((o) => o.kind === 'fq-timeout' && o.inferred === true)).toBe(true);
    const r61 = replayIova(ops61, f61.meta.replay);
    expect(r61.maps).toBe(220);
    expect(r61.matched).toBe(r61.maps);
    const without61 = ops61.filter((o) => !(o.kind === 'fq-timeout' && o.inferred === true));
    expect(replayIova(without61, { ...f61.meta.replay, missedTimerHits: 0 }).mismatches.length).toBeGreaterThan(0);
    // 6.12 virtio-iommu: the timer's probe, its frees and viommu_flush_all all missed; a map got
    // back an IOVA unmapped since the last traced flush.
    const f = readFixture('x86_64-6.12-virtio-iommu-lazy-nvme');
    const ops = fixtureDomainOps(f);
    const missed = f.meta.replay.missedTimerHits ?? 0;
    expect(missed).toBeGreaterThan(0);
    const r = replayIova(ops, f.meta.replay);
    expect(r.inferredFlushes).toBeGreaterThan(0);
    expect(r.inferredFlushes).toBeLessThanOrEqual(missed);
    expect(replayIova(ops, { ...f.meta.replay, missedTimerHits: 0 }).mismatches.length).toBeGreaterThan(0);
  });
  it('places a timer flush after an unmap that interrupted it before it counted the flush (the free shows it)', () => {
    // 6.12 virtio-iommu lazy: an NVMe completion on the timer's CPU unmapped between fq_flush_timeout's
    // entry and its flush, and that flush freed the entry (kprobe_profile: no misses).
    const f = readFixture('x86_64-6.12-virtio-iommu-lazy-nvme.interrupted-timer');
    const ops = fixtureDomainOps(f);
    const r = replayIova(ops, f.meta.replay);
    expect(r.maps).toBe(419);
    expect(r.matched).toBe(r.maps);
    // The flush at the timer's entry instead (before the unmap it freed): the replay differs.
    const moved = [...ops];
    const timerAt = moved.findIndex(
      (o, i) => o.kind === 'fq-timeout' && i > 0 && moved[i - 1]!.kind === 'unmap' && moved[i - 1]!.cpu === o.cpu,
    );
    expect(timerAt).toBeGreaterThan(0);
    [moved[timerAt - 1], moved[timerAt]] = [moved[timerAt]!, moved[timerAt - 1]!];
    expect(replayIova(moved, f.meta.replay).mismatches.length).toBeGreaterThan(0);
  });
});

describe('a timer flush and an unmap of the same microsecond on two CPUs', () => {
  const flush = { kind: 'fq-timeout', tNs: 5000, cpu: 0, line: 1 } as const;
  const unmap = { kind: 'unmap', tNs: 5000, cpu: 1, iova: 0x4000_0000, sizeBytes: 4096, map: null, line: 2 } as const;
  const free = (pfn: number) => ({ kind: 'free', tNs: 5100, cpu: 0, domain: 'd', pfn, pages: 1, line: 3 }) as const;

  it('puts the unmap first when the flush freed its IOVA (it was queued before the rings were freed)', () => {
    expect(unmapsBeforeSameInstantFlush([flush, unmap, free(0x4000_0000 / 4096)])).toEqual([unmap, flush, free(0x4000_0000 / 4096)]);
  });

  it('keeps the trace order when the flush did not free it, or the times differ, or it is the same CPU', () => {
    const kept = [flush, unmap, free(7)];
    expect(unmapsBeforeSameInstantFlush(kept)).toBe(kept);
    const later = [flush, { ...unmap, tNs: 5001 }, free(0x4000_0000 / 4096)];
    expect(unmapsBeforeSameInstantFlush(later)).toBe(later);
    const sameCpu = [flush, { ...unmap, cpu: 0 }, free(0x4000_0000 / 4096)];
    expect(unmapsBeforeSameInstantFlush(sameCpu)).toBe(sameCpu);
  });
});
