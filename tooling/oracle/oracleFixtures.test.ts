import { describe, expect, it } from 'vitest';
import { kprobeMisses, kprobeMissesTotal } from './oracleFixtures';

// tracefs kprobe_profile as the 6.12 virtio-iommu lazy capture printed it.
const PROFILE = [
  '  alloc_iova                                               419               0',
  '  alloc_iova_ret                                           419               0',
  '  free_iova                                                363              48',
  '  fq_timeout                                                11               1',
  '  viommu_flush_all                                          12               1',
].join('\n');

describe('kprobe_profile', () => {
  it('reads one probe’s misses and the total', () => {
    expect(kprobeMisses(PROFILE, 'fq_timeout')).toBe(1);
    expect(kprobeMisses(PROFILE, 'alloc_iova')).toBe(0);
    expect(kprobeMisses(PROFILE, 'rpcit')).toBe(0);
    expect(kprobeMissesTotal(PROFILE)).toBe(50);
    expect(kprobeMissesTotal('')).toBe(0);
  });
});
