// The experiment form's logic: grid rows (a dotted path and comma-separated values) read into the
// axes the lab takes, the variant count and names previewed live (named as the lab names them:
// "path=value,path=value"), explicit variants' `--set` lines checked for shape, and the lab's
// problems sorted back to the variant or grid row they name.
// Must not: validate scenarios (only the lab's validator decides what a path or value may be).

import type { ExperimentGridAxis, ExperimentVariantSpec } from '../../../../core/contract/experiments';

/** The lab refuses experiments with more variants than this (experimentVariants.ts). */
export const MAX_VARIANTS = 256;

export interface GridRowDraft {
  path: string;
  values: string;
}

export interface VariantDraft {
  name: string;
  lines: string;
}

/** Splits "1, 2, [3,4], \"a,b\"" at the commas outside brackets and quotes. */
export function splitValues(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** A value as `--set` reads it: JSON when it parses (numbers, booleans, lists), else the text itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** How a value appears in a variant's name (the lab's rule: strings bare, the rest as JSON). */
function nameText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface GridReading {
  readonly axes: ExperimentGridAxis[];
  /** Problems per row index (an empty row is skipped, not a problem). */
  readonly problems: ReadonlyMap<number, string>;
}

export function readGrid(rows: readonly GridRowDraft[]): GridReading {
  const axes: ExperimentGridAxis[] = [];
  const problems = new Map<number, string>();
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const path = row.path.trim();
    const values = splitValues(row.values);
    if (path === '' && values.length === 0) return;
    if (path === '') problems.set(i, 'give a scenario path, e.g. host.vfio.dmaEntryLimit');
    else if (path.includes('=')) problems.set(i, 'the path goes left, the values right (no "=")');
    else if (values.length === 0) problems.set(i, 'give at least one value');
    else if (seen.has(path)) problems.set(i, `${path} is already an axis`);
    else {
      seen.add(path);
      axes.push({ path, values: values.map(parseValue) });
    }
  });
  return { axes, problems };
}

export function gridVariantCount(axes: readonly ExperimentGridAxis[]): number {
  return axes.length === 0 ? 0 : axes.reduce((n, a) => n * a.values.length, 1);
}

/** The names of the grid's first `limit` variants, in the lab's order (last axis varies fastest). */
export function gridVariantNames(axes: readonly ExperimentGridAxis[], limit: number): string[] {
  const total = gridVariantCount(axes);
  const names: string[] = [];
  for (let k = 0; k < Math.min(total, limit); k++) {
    let rest = k;
    const parts: string[] = new Array<string>(axes.length);
    for (let a = axes.length - 1; a >= 0; a--) {
      const axis = axes[a]!;
      parts[a] = `${axis.path}=${nameText(axis.values[rest % axis.values.length])}`;
      rest = Math.floor(rest / axis.values.length);
    }
    names.push(parts.join(','));
  }
  return names;
}

export interface VariantsReading {
  readonly variants: ExperimentVariantSpec[];
  /** Problems per variant index. */
  readonly problems: ReadonlyMap<number, string[]>;
}

/** Explicit variants: a name and one `path=value` per line (blank lines ignored). */
export function readVariants(drafts: readonly VariantDraft[]): VariantsReading {
  const variants: ExperimentVariantSpec[] = [];
  const problems = new Map<number, string[]>();
  const names = new Set<string>();
  drafts.forEach((d, i) => {
    const name = d.name.trim();
    const set = d.lines
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const mine: string[] = [];
    if (name === '') mine.push('give the variant a name');
    else if (names.has(name)) mine.push(`another variant is named "${name}"`);
    for (const line of set) if (line.indexOf('=') <= 0) mine.push(`"${line}": expected path=value, e.g. host.vfio.dmaEntryLimit=1024`);
    names.add(name);
    if (mine.length > 0) problems.set(i, mine);
    else variants.push({ name, set });
  });
  return { variants, problems };
}

export interface SortedProblems {
  readonly base: string[];
  readonly byVariant: ReadonlyMap<string, string[]>;
  readonly other: string[];
}

const VARIANT_PROBLEM = /^variant "((?:[^"\\]|\\.)*)": (.*)$/s;

/** The lab's `variant "name": path: message` and `base: ...` problems, per variant and for the base. */
export function sortProblems(problems: readonly string[]): SortedProblems {
  const base: string[] = [];
  const other: string[] = [];
  const byVariant = new Map<string, string[]>();
  for (const p of problems) {
    const v = VARIANT_PROBLEM.exec(p);
    if (v !== null) byVariant.set(v[1]!, [...(byVariant.get(v[1]!) ?? []), v[2]!]);
    else if (p.startsWith('base: ')) base.push(p.slice('base: '.length));
    else other.push(p);
  }
  return { base, byVariant, other };
}

/** The problems of the grid variants that vary `path` (a grid row's share of the lab's answer). */
export function problemsOfAxis(path: string, byVariant: ReadonlyMap<string, string[]>): string[] {
  const found = new Set<string>();
  for (const [name, list] of byVariant) {
    if (!name.split(',').some((part) => part.startsWith(`${path}=`))) continue;
    for (const p of list) if (p.includes(path)) found.add(`${name}: ${p}`);
  }
  return [...found];
}

/** The lab's variant problems no grid row or variant on the form shows (listed above the button instead). */
export function unplacedProblems(byVariant: ReadonlyMap<string, string[]>, mode: 'grid' | 'variants', shown: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, list] of byVariant) {
    for (const p of list) {
      const placed = mode === 'grid' ? shown.some((path) => path !== '' && p.includes(path)) : shown.includes(name);
      if (!placed) out.push(`variant "${name}": ${p}`);
    }
  }
  return out;
}
