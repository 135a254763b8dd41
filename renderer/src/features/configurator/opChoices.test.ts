import { describe, expect, it } from 'vitest';
import type { OpInfo } from '../../../../core/contract/catalog';
import { argsForOp, groupOpsByLayer } from './opChoices';

const op = (name: string, layer: string, properties: Record<string, unknown> = {}): OpInfo => ({
  name,
  layer,
  summary: `${name} summary`,
  argsSchema: { type: 'object', properties },
});

describe('op names grouped by layer', () => {
  it('keeps the registry order of layers and of ops within a layer', () => {
    const groups = groupOpsByLayer([
      op('vfio.map', 'vfio'),
      op('vfio.unmap', 'vfio'),
      op('spapr.map', 'spapr'),
      op('vfio.getInfo', 'vfio'),
    ]);
    expect(groups.map((g) => [g.layer, g.ops.map((o) => o.name)])).toEqual([
      ['vfio', ['vfio.map', 'vfio.unmap', 'vfio.getInfo']],
      ['spapr', ['spapr.map']],
    ]);
    expect(groupOpsByLayer([])).toEqual([]);
  });
});

describe('arguments kept when the op changes', () => {
  it('keeps the arguments the new op also takes and drops the others', () => {
    const unmap = op('vfio.unmap', 'vfio', { iova: {}, size: {}, all: {} }).argsSchema;
    expect(argsForOp({ iova: '0x1000', vaddr: '0x7f00', size: 4096 }, unmap)).toEqual({ iova: '0x1000', size: 4096 });
  });

  it('keeps everything for an op without named arguments, and starts empty from anything but an object', () => {
    expect(argsForOp({ x: 1 }, {})).toEqual({ x: 1 });
    expect(argsForOp(undefined, { properties: {} })).toEqual({});
    expect(argsForOp([1], { properties: {} })).toEqual({});
  });
});
