// Limits on raw scenario input, checked before anything that recurses over it or scales with it:
// the nesting depth (JSON.stringify, zod and the YAML composer recurse, so a 100,000-deep
// document would overflow the stack), the number of values walked, and how many problems one
// answer lists. A scenario the schema accepts is at most a dozen levels deep; the limits are far above.
// Must not: recurse, or judge what a value means (the schema does).

import { pathText } from './problemPath';

/** Deepest nesting of objects and lists a scenario (or an override value) may have. */
export const MAX_NESTING_DEPTH = 64;
/** Values walked while checking the depth; a scenario file of a few MB holds far fewer. */
export const MAX_INPUT_VALUES = 10_000_000;
/** Problems listed in one answer; the rest are counted in a last line. */
export const MAX_PROBLEMS = 200;

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly key: PropertyKey | null;
  readonly parent: Frame | null;
}

function pathOf(frame: Frame, prefix: readonly PropertyKey[]): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let f: Frame | null = frame; f !== null && f.key !== null; f = f.parent) path.push(f.key);
  return [...prefix, ...path.reverse()];
}

/**
 * The problem with `value`'s size, as a `path: message` line, or null when it is within the
 * limits: the path of the first object or list nested deeper than MAX_NESTING_DEPTH, or the root
 * when there are more than MAX_INPUT_VALUES values. Iterative, so any depth is safe to check, and a
 * cycle (possible in a structured-clone value) counts as too deep.
 */
export function nestingProblem(value: unknown, prefix: readonly PropertyKey[] = []): string | null {
  const stack: Frame[] = [{ value, depth: 0, key: null, parent: null }];
  let walked = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v !== 'object' || v === null) continue;
    const depth = frame.depth + 1;
    if (depth > MAX_NESTING_DEPTH) return `${pathText(pathOf(frame, prefix))}: nested deeper than ${MAX_NESTING_DEPTH} levels`;
    // Array.from, not map: a structured-clone value may be a sparse array, whose holes map skips.
    const entries: [PropertyKey, unknown][] = Array.isArray(v) ? Array.from(v as unknown[], (x, i) => [i, x]) : Object.entries(v);
    walked += entries.length;
    if (walked > MAX_INPUT_VALUES) {
      return `${pathText([...prefix])}: more than ${MAX_INPUT_VALUES.toLocaleString('en-US')} values; a scenario is far smaller`;
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], depth, key: entries[i]![0], parent: frame });
  }
  return null;
}

/** At most MAX_PROBLEMS problems, then one line counting the rest. */
export function capProblems(problems: readonly string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return [...problems];
  const rest = problems.length - MAX_PROBLEMS;
  return [...problems.slice(0, MAX_PROBLEMS), `(more): ${rest.toLocaleString('en-US')} more problems not listed`];
}
