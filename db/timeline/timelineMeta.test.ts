// Decoding a stored event: errno arguments come out as names, also from runs that stored them as integers.
import { describe, expect, it } from 'vitest';
import { decodeEventValues, type TimelineMeta } from './timelineMeta';

const meta: TimelineMeta = {
  runId: 1,
  lanes: [],
  kinds: [
    {
      id: 0,
      name: 'dma.map.failed',
      failure: true,
      args: [
        { name: 'bytes', format: 'bytes' },
        { name: 'errno', format: 'errno' },
        { name: 'job', format: 'int' },
      ],
    },
    // How fio's failed map declared its errno before errnos were interned: a plain integer.
    {
      id: 1,
      name: 'dma.map failed',
      failure: true,
      args: [
        { name: 'bytes', format: 'bytes' },
        { name: 'errno', format: 'int' },
      ],
    },
  ],
  strings: ['ENOMEM'],
  eventCount: 2,
  startNs: 0,
  endNs: 10,
  failureCount: 2,
  complete: true,
};

describe('decoding an event', () => {
  it('names errnos symbolically, also those an older run stored as numbers', () => {
    expect(decodeEventValues([0, 0, 5, 0, 0, 4096, 0, 3, null], meta).args).toEqual({ bytes: 4096, errno: 'ENOMEM', job: 3 });
    expect(decodeEventValues([1, 5, 5, 0, 1, 4096, 12, 0, 0], meta).args).toEqual({ bytes: 4096, errno: 'ENOMEM' });
  });
});
