import { describe, expect, it } from 'vitest';
import type { TimelineLaneInfo } from '../../../../core/contract/timeline';
import {
  AXIS_HEIGHT_PX,
  groupOf,
  laneVariant,
  lanesOfShownVariants,
  layoutRows,
  ROW_HEIGHT_PX,
  rowAtY,
  rowTop,
  shownLaneIds,
  variantsOf,
  visibleRows,
} from './laneLayout';

const lanes: TimelineLaneInfo[] = [
  { id: 0, name: 'qemu.vm0', group: 'qemu' },
  { id: 1, name: 'vm0.cpu0', group: 'guest' },
  { id: 2, name: 'vm0.cpu1', group: 'guest' },
  { id: 3, name: 'device.nvme0', group: 'device' },
];

describe('lane rows', () => {
  it('puts a header before each group, groups in order of their first lane', () => {
    const rows = layoutRows(lanes, new Set(), '');
    expect(rows.map((r) => (r.type === 'group' ? `[${r.key}]` : r.label))).toEqual([
      '[qemu]',
      'qemu.vm0',
      '[guest]',
      'vm0.cpu0',
      'vm0.cpu1',
      '[device]',
      'device.nvme0',
    ]);
  });

  it('a collapsed group keeps its header and hides its lanes', () => {
    const rows = layoutRows(lanes, new Set(['guest']), '');
    expect(rows).toContainEqual({ type: 'group', key: 'guest', laneCount: 2, collapsed: true });
    expect(shownLaneIds(rows)).toEqual([0, 3]);
  });

  it('the filter keeps lanes whose name or group matches, and drops empty groups', () => {
    expect(shownLaneIds(layoutRows(lanes, new Set(), 'CPU1'))).toEqual([2]);
    expect(shownLaneIds(layoutRows(lanes, new Set(), 'guest'))).toEqual([1, 2]);
    expect(layoutRows(lanes, new Set(), 'nothing')).toEqual([]);
  });

  it("a variant's lanes group under the variant and the component", () => {
    expect(groupOf({ id: 9, name: 'percpu/vm0.cpu0', group: 'guest' })).toEqual({ key: 'percpu · guest', label: 'vm0.cpu0' });
  });

  it('finds rows from y and back, scrolled or not', () => {
    expect(rowAtY(AXIS_HEIGHT_PX - 1, 0)).toBe(-1);
    expect(rowAtY(rowTop(3, 0) + 1, 0)).toBe(3);
    expect(rowAtY(rowTop(7, 50) + ROW_HEIGHT_PX - 1, 50)).toBe(7);
  });

  it('only the rows in the viewport are visible', () => {
    expect(visibleRows(100, 0, 5 * ROW_HEIGHT_PX)).toEqual({ first: 0, end: 5 });
    expect(visibleRows(100, 10 * ROW_HEIGHT_PX + 3, 2 * ROW_HEIGHT_PX)).toEqual({ first: 10, end: 13 });
    expect(visibleRows(3, 0, 1000)).toEqual({ first: 0, end: 3 });
  });
});

describe('variants on the timeline', () => {
  const variantLanes: TimelineLaneInfo[] = [
    { id: 0, name: 'percpu/vm0.cpu0', group: 'guest' },
    { id: 1, name: 'percpu/device.nvme0', group: 'device' },
    { id: 2, name: 'strict/vm0.cpu0', group: 'guest' },
    { id: 3, name: 'strict/device.nvme0', group: 'device' },
    { id: 4, name: 'retry/vm0.cpu0', group: 'guest' },
  ];

  it('knows each lane’s variant and the variants in the order they ran', () => {
    expect(variantLanes.map(laneVariant)).toEqual(['percpu', 'percpu', 'strict', 'strict', 'retry']);
    expect(variantsOf(variantLanes)).toEqual(['percpu', 'strict', 'retry']);
    expect(variantsOf(lanes)).toEqual([]);
  });

  it('groups lanes by variant, and shows two variants one above the other when the others are hidden', () => {
    const rows = layoutRows(lanesOfShownVariants(variantLanes, new Set(['percpu'])), new Set(), '');
    expect(rows.map((r) => (r.type === 'group' ? `[${r.key}]` : r.label))).toEqual([
      '[strict · guest]',
      'vm0.cpu0',
      '[strict · device]',
      'device.nvme0',
      '[retry · guest]',
      'vm0.cpu0',
    ]);
    expect(lanesOfShownVariants(variantLanes, new Set())).toHaveLength(5);
  });
});
