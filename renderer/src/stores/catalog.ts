// Reference data from the lab (metric units, defaults with sources, presets), loaded once.
// Must not: hard-code any of it; it comes from the service.

import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LabCatalog, PresetSummary } from '../../../core/contract/catalog';
import { lab } from '../api/labClient';

export const useCatalogStore = defineStore('catalog', () => {
  const catalog = ref<LabCatalog | null>(null);
  const presets = ref<PresetSummary[]>([]);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    if (catalog.value !== null) return;
    try {
      const [c, p] = await Promise.all([lab.getCatalog(), lab.listPresets()]);
      catalog.value = c;
      presets.value = p;
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  }

  function unitOf(metric: string): string {
    return catalog.value?.metrics.find((m) => m.name === metric)?.unit ?? '';
  }

  function describe(metric: string): string {
    return catalog.value?.metrics.find((m) => m.name === metric)?.description ?? '';
  }

  return { catalog, presets, error, load, unitOf, describe };
});
