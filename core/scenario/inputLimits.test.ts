import { describe, expect, it } from 'vitest';
import { capProblems, MAX_NESTING_DEPTH, MAX_PROBLEMS, nestingProblem } from './inputLimits';

/** `[[[...]]]` `depth` lists deep, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('limits on raw scenario input', () => {
  it('accepts nesting up to the limit and names the first container past it', () => {
    expect(nestingProblem(nested(MAX_NESTING_DEPTH))).toBeNull();
    expect(nestingProblem({ a: nested(MAX_NESTING_DEPTH) }, ['workload'])).toBe(
      `workload.a.${Array(MAX_NESTING_DEPTH - 1)
        .fill(0)
        .join('.')}: nested deeper than ${MAX_NESTING_DEPTH} levels`,
    );
  });

  it('checks 100,000-deep input without overflowing the stack', () => {
    expect(nestingProblem(nested(100_000))).toMatch(/^0(\.0)*: nested deeper than 64 levels$/);
  });

  it('takes a cycle (a structured-clone value can hold one) for too deep', () => {
    const a: Record<string, unknown> = { name: 'x' };
    a['self'] = a;
    expect(nestingProblem(a)).toMatch(/^self(\.self)*: nested deeper than/);
  });

  it('lists at most MAX_PROBLEMS problems and counts the rest in a last path: message line', () => {
    const many = Array.from({ length: MAX_PROBLEMS + 5 }, (_, i) => `vms.${i}: bad`);
    const capped = capProblems(many);
    expect(capped).toHaveLength(MAX_PROBLEMS + 1);
    expect(capped.at(-1)).toBe('(more): 5 more problems not listed');
  });
});
