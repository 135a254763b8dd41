// The worker pool's size: PCILAB_WORKERS, else the machine's cores, at least 1.
import { describe, expect, it } from 'vitest';
import { runConcurrency } from './runConcurrency';

describe('runConcurrency', () => {
  it('uses the cores the machine offers by default, at least 1', () => {
    expect(runConcurrency({}, () => 6)).toEqual({ workers: 6, problem: null });
    expect(runConcurrency({ PCILAB_WORKERS: '' }, () => 0)).toEqual({ workers: 1, problem: null });
  });

  it('takes PCILAB_WORKERS when it is an integer >= 1, and says why it ignores any other value', () => {
    expect(runConcurrency({ PCILAB_WORKERS: '3' }, () => 16)).toEqual({ workers: 3, problem: null });
    expect(runConcurrency({ PCILAB_WORKERS: ' 1 ' }, () => 16)).toEqual({ workers: 1, problem: null });
    for (const bad of ['0', '-2', '1.5', 'many']) {
      expect(runConcurrency({ PCILAB_WORKERS: bad }, () => 2)).toEqual({
        workers: 2,
        problem: `PCILAB_WORKERS="${bad}" is not an integer >= 1: using the 2 cores this machine offers`,
      });
    }
  });
});
