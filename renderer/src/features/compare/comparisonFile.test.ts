import { describe, expect, it } from 'vitest';
import { importedSummary } from './comparisonFile';

describe('the line an imported comparison answers with', () => {
  it('names the comparison, its runs, the runs left out and the queries', () => {
    expect(importedSummary({ comparisonId: 3, name: 'a vs b', runIds: [4, 5], missingRuns: [], queriesAdded: 2, queriesKnown: 1 })).toBe(
      'Imported "a vs b" as saved comparison 3 over runs 4, 5; saved queries: 2 added, 1 already here.',
    );
    expect(
      importedSummary({ comparisonId: 1, name: 'x', runIds: [1, 2], missingRuns: ['run 9 "c"'], queriesAdded: 0, queriesKnown: 0 }),
    ).toContain('; not in this lab, left out: run 9 "c";');
  });
});
