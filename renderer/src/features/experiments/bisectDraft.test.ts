// The bisect part of the experiment form reads the fields into the lab's spec and names the field
// of a shape problem (the lab checks the rest).
import { describe, expect, it } from 'vitest';
import { emptyBisectDraft, readBisect } from './bisectDraft';

describe('readBisect', () => {
  it('reads versions, a comparison outcome, the variant and all', () => {
    const r = readBisect({
      ...emptyBisectDraft(),
      versions: ' 7.1, 7.2 ,8.0,',
      outcome: 's390.shadow.retryPasses > 0',
      variant: ' retry ',
      all: true,
    });
    expect(r.problems.size).toBe(0);
    expect(r.spec).toEqual({
      path: 'host.qemu.version',
      versions: ['7.1', '7.2', '8.0'],
      outcome: { metric: 's390.shadow.retryPasses', op: '>', value: 0 },
      variant: 'retry',
      all: true,
    });
    expect(readBisect({ ...emptyBisectDraft(), versions: '6.1,6.7', outcome: 'dma.mapFailures' }).spec).toEqual({
      path: 'host.qemu.version',
      versions: ['6.1', '6.7'],
      outcome: { metric: 'dma.mapFailures' },
    });
  });

  it('names the field of each shape problem', () => {
    const r = readBisect({ ...emptyBisectDraft(), versions: '7.1', outcome: 'm >= x' });
    expect(r.spec).toBeNull();
    expect([...r.problems.keys()]).toEqual(['versions', 'outcome']);
    expect(r.problems.get('outcome')).toBe('"x" after >= is not a number');
  });
});
