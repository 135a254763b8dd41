// The exact differential test of the guest IOVA allocator against real kernels: each committed
// fixture is a trace a real guest wrote under QEMU (tooling/oracle, `npm run test:kernel`), with
// the allocator's own calls recorded by kprobes. Replaying its DMA map sizes, unmaps and
// flush-queue timer flushes, per CPU and in order, through the lab's dma-iommu must give every map
// the IOVA the kernel gave it.
import { describe, expect, it } from 'vitest';
import { FIXTURE_CONFIGS, fixtureDomainOps, readFixture } from './oracleFixtures';
import { replayIova } from './iovaReplay';

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
});
