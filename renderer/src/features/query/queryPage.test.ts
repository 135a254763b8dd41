import { describe, expect, it } from 'vitest';
import {
  describeProblem,
  describeResult,
  eventColumnOf,
  eventSeqOf,
  formatCell,
  formatElapsed,
  parseRunParam,
  queryPath,
  timelinePath,
} from './queryPage';

describe('rows that point at a timeline event', () => {
  it('finds the seq column (any case) and reads a non-negative integer from it', () => {
    const col = eventColumnOf(['variant', 'SEQ', 't_ns']);
    expect(col).toBe(1);
    expect(eventSeqOf(['single', 42, 10], col)).toBe(42);
    expect(eventSeqOf(['single', null, 10], col)).toBeNull();
    expect(eventSeqOf(['single', 1.5, 10], col)).toBeNull();
    expect(eventSeqOf(['single', '42', 10], col)).toBeNull();
    expect(eventSeqOf(['x'], eventColumnOf(['kind']))).toBeNull();
  });

  it('opens the run page at the event, and the query page with a run', () => {
    expect(timelinePath(3, 120)).toBe('/runs/3?seq=120');
    expect(queryPath(3)).toBe('/query?run=3');
    expect(queryPath(null)).toBe('/query');
  });

  it('reads ?run= only as a positive integer', () => {
    expect(parseRunParam('7')).toBe(7);
    expect(parseRunParam(['8'])).toBe(8);
    for (const bad of ['0', '-1', '1.5', 'x', '', undefined, null, '12345678901234567']) expect(parseRunParam(bad)).toBeNull();
  });
});

describe('telling the answer', () => {
  it('counts rows, says when the cap cut them, and gives the time with its unit', () => {
    expect(describeResult({ columns: ['a'], rows: [[1]], truncated: false, elapsedMs: 3.25 }, 1000)).toBe('1 row in 3.3 ms');
    expect(describeResult({ columns: ['a'], rows: [[1], [2]], truncated: true, elapsedMs: 1234 }, 2)).toBe(
      '2 rows (cut at the cap of 2 rows: more matched) in 1.23 s',
    );
    expect(formatElapsed(57.6)).toBe('58 ms');
  });

  it('tells a time-out from a refused query and from a missing run', () => {
    expect(describeProblem('the query ran longer than 10,000 ms (its time limit) and was stopped', 'invalid-argument').kind).toBe(
      'time-limit',
    );
    expect(describeProblem('near "SELEC": syntax error', 'invalid-argument')).toMatchObject({
      kind: 'query',
      title: 'The query was refused',
    });
    expect(describeProblem('no run 9', 'not-found').title).toBe('No such run');
    expect(describeProblem('disk', null).kind).toBe('other');
  });

  it('shows NULL as NULL and numbers as stored', () => {
    expect(formatCell(null)).toBe('NULL');
    expect(formatCell(65535)).toBe('65535');
    expect(formatCell('0x1000')).toBe('0x1000');
  });
});
