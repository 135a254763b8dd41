import { describe, expect, it } from 'vitest';
import { readSearchAnswer, searchSql, searchStatus, sqlString } from './eventSearch';

describe('finding events by kind or argument', () => {
  it('quotes the text as one SQL string, whatever it holds', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    const sql = searchSql("x'); DROP TABLE runs; --", { tNs: 0, seq: -1 }, 1, []);
    expect(sql).toContain("'x''); DROP TABLE runs; --'");
    expect(sql.match(/'x''\); DROP/g)).toHaveLength(3);
  });

  it('looks after (or before) the point, in time order, leaving out hidden variants', () => {
    const next = searchSql('dma.map', { tNs: 1500.4, seq: 7 }, 1, []);
    expect(next).toContain('t_ns > 1500 OR (t_ns = 1500 AND seq > 7)');
    expect(next).toContain('ORDER BY t_ns, seq LIMIT 1');
    expect(next).not.toContain('variant NOT IN');
    const prev = searchSql('ENOMEM', { tNs: 9, seq: 3 }, -1, ['single', "o'brien"]);
    expect(prev).toContain('t_ns < 9 OR (t_ns = 9 AND seq < 3)');
    expect(prev).toContain('ORDER BY t_ns DESC, seq DESC LIMIT 1');
    expect(prev).toContain("variant NOT IN ('single', 'o''brien')");
  });

  it('reads the answer: how many match, the next one and its place', () => {
    const cols = ['total', 'seq', 't_ns', 'place'];
    expect(readSearchAnswer({ columns: cols, rows: [[17, 120, 5000, 3]], truncated: false, elapsedMs: 1 })).toEqual({
      total: 17,
      next: { seq: 120, tNs: 5000, place: 3 },
    });
    const none = readSearchAnswer({ columns: cols, rows: [[17, null, null, null]], truncated: false, elapsedMs: 1 });
    expect(none).toEqual({ total: 17, next: null });
    expect(searchStatus('x', none, 1)).toBe('No match after this point (17 in all).');
    expect(searchStatus('x', { total: 1200, next: { seq: 1, tNs: 1, place: 1001 } }, 1)).toBe('Match 1,001 of 1,200');
    expect(searchStatus(' rpcit ', { total: 0, next: null }, -1)).toBe('No event matches “rpcit” in the variants shown.');
  });
});
