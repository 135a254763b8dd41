import { describe, expect, it } from 'vitest';
import {
  gridVariantCount,
  gridVariantNames,
  parseValue,
  problemsOfAxis,
  readGrid,
  readVariants,
  sortProblems,
  unplacedProblems,
  splitValues,
} from './variantDraft';

describe('grid values', () => {
  it('split at commas outside brackets and quotes', () => {
    expect(splitValues('1, 2 ,3')).toEqual(['1', '2', '3']);
    expect(splitValues('[1,2], {"a":1,"b":2}, "x,y", lazy')).toEqual(['[1,2]', '{"a":1,"b":2}', '"x,y"', 'lazy']);
    expect(splitValues(' , ')).toEqual([]);
  });

  it('are read as --set reads them: JSON when it parses, else text', () => {
    expect([parseValue('4'), parseValue('true'), parseValue('lazy'), parseValue('"4"'), parseValue('[1]')]).toEqual([
      4,
      true,
      'lazy',
      '4',
      [1],
    ]);
  });
});

describe('readGrid', () => {
  it('makes one axis per filled row and counts the combinations', () => {
    const { axes, problems } = readGrid([
      { path: 'durationMs', values: '1, 2, 3' },
      { path: '', values: '' },
      { path: 'guest.dmaMode', values: 'strict,lazy' },
    ]);
    expect(problems.size).toBe(0);
    expect(axes).toEqual([
      { path: 'durationMs', values: [1, 2, 3] },
      { path: 'guest.dmaMode', values: ['strict', 'lazy'] },
    ]);
    expect(gridVariantCount(axes)).toBe(6);
    expect(gridVariantCount([])).toBe(0);
  });

  it('reports a row without a path, without values, with "=" or repeated, by row index', () => {
    const { axes, problems } = readGrid([
      { path: '', values: '1' },
      { path: 'a', values: ' ' },
      { path: 'a=1', values: '2' },
      { path: 'b', values: '1' },
      { path: 'b', values: '2' },
    ]);
    expect(axes).toEqual([{ path: 'b', values: [1] }]);
    expect([...problems.keys()]).toEqual([0, 1, 2, 4]);
    expect(problems.get(4)).toMatch(/already an axis/);
  });

  it('names variants as the lab does, the last axis varying fastest', () => {
    const axes = [
      { path: 'a', values: [1, 2] },
      { path: 'b', values: ['x', true] },
    ];
    expect(gridVariantNames(axes, 10)).toEqual(['a=1,b=x', 'a=1,b=true', 'a=2,b=x', 'a=2,b=true']);
    expect(gridVariantNames(axes, 3)).toHaveLength(3);
  });
});

describe('readVariants', () => {
  it('takes a name and one path=value per line', () => {
    const { variants, problems } = readVariants([{ name: ' small ', lines: 'durationMs=2\n\n host.vfio.dmaEntryLimit=1024 ' }]);
    expect(problems.size).toBe(0);
    expect(variants).toEqual([{ name: 'small', set: ['durationMs=2', 'host.vfio.dmaEntryLimit=1024'] }]);
  });

  it('reports a missing or repeated name and a line that is not path=value', () => {
    const { variants, problems } = readVariants([
      { name: '', lines: 'a=1' },
      { name: 'v', lines: 'a=1' },
      { name: 'v', lines: '=1\nnovalue' },
    ]);
    expect(variants.map((v) => v.name)).toEqual(['v']);
    expect(problems.get(0)).toEqual(['give the variant a name']);
    expect(problems.get(2)).toHaveLength(3);
  });
});

describe('the lab problems', () => {
  const problems = [
    'base: name: Required',
    'variant "durationMs=1,host.vfio.backend=nope": host.vfio.backend: Invalid option',
    'variant "durationMs=2,host.vfio.backend=nope": host.vfio.backend: Invalid option',
    'variant "durationMs=2,host.vfio.backend=nope": durationMs: too small',
    'something else',
  ];

  it('sort to the base, each variant and the rest', () => {
    const sorted = sortProblems(problems);
    expect(sorted.base).toEqual(['name: Required']);
    expect(sorted.other).toEqual(['something else']);
    expect(sorted.byVariant.get('durationMs=2,host.vfio.backend=nope')).toEqual([
      'host.vfio.backend: Invalid option',
      'durationMs: too small',
    ]);
  });

  it('land on the grid row whose path they name', () => {
    const { byVariant } = sortProblems(problems);
    expect(problemsOfAxis('host.vfio.backend', byVariant)).toHaveLength(2);
    expect(problemsOfAxis('durationMs', byVariant)).toEqual(['durationMs=2,host.vfio.backend=nope: durationMs: too small']);
  });

  it('that no row or variant shows are listed apart', () => {
    const { byVariant } = sortProblems(problems);
    expect(unplacedProblems(byVariant, 'grid', ['host.vfio.backend'])).toEqual([
      'variant "durationMs=2,host.vfio.backend=nope": durationMs: too small',
    ]);
    expect(unplacedProblems(byVariant, 'variants', ['durationMs=1,host.vfio.backend=nope'])).toHaveLength(2);
  });
});
