// Names, units and meanings of the metrics QEMU's IOVA trees report, for the run's catalog.
// Must not: compute metrics (iovaTree.ts does).

import type { MetricInfo } from '../../contract/catalog';

export const IOVA_TREE_METRICS: readonly MetricInfo[] = [
  { name: 'iovaTree.lookups', unit: 'calls', description: 'iova_tree_find and iova_tree_find_iova calls' },
  {
    name: 'iovaTree.lookupComparisons',
    unit: 'steps',
    description: 'comparator calls or nodes visited by those lookups (GTree search path, g_tree_foreach walk, or reverse-index search)',
  },
  {
    name: 'iovaTree.wrongTranslations',
    unit: 'lookups',
    description: 'reverse lookups that returned a map of another guest region (id) than the caller meant (reference 004)',
  },
  {
    name: 'iovaTree.partialMatches',
    unit: 'lookups',
    description: 'reverse lookups whose map covers only part of the needle: each needs another search for the remainder',
  },
  { name: 'iovaTree.mapsPeak', unit: 'maps', description: 'most maps held by one tree at once' },
];
