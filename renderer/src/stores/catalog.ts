// Reference data from the lab, loaded once: metric units, defaults with their sources, cost table,
// presets, the scenario's JSON Schema (the configurator's field lists), the ops of ops scripts with
// their argument schemas, and each architecture's hypervisors and defaults (the lab's own table).
// Must not: hard-code any of it; it comes from the service.

import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LabCatalog, PresetSummary } from '../../../core/contract/catalog';
import { lab } from '../api/labClient';
import type { JsonSchema } from '../schema/jsonSchema';
import { metricInfoOf, splitVariant } from '../features/run/metricTable';
import { errorMessage } from '../format/errorMessage';

export const useCatalogStore = defineStore('catalog', () => {
  const catalog = ref<LabCatalog | null>(null);
  const presets = ref<PresetSummary[]>([]);
  const schema = ref<JsonSchema | null>(null);
  const error = ref<string | null>(null);
  let loading: Promise<void> | null = null;

  async function fetchAll(): Promise<void> {
    try {
      const [c, p, s] = await Promise.all([lab.getCatalog(), lab.listPresets(), lab.getScenarioSchema()]);
      catalog.value = c;
      presets.value = p;
      schema.value = s as JsonSchema;
      error.value = null;
    } catch (err) {
      error.value = errorMessage(err);
      loading = null;
    }
  }

  function load(): Promise<void> {
    loading ??= fetchAll();
    return loading;
  }

  /** A metric's unit; variant prefixes ("lazy:vfio.entriesPeak") are looked through. */
  function unitOf(metric: string): string {
    return metricInfoOf(splitVariant(metric).local, catalog.value?.metrics ?? [])?.unit ?? '';
  }

  function describe(metric: string): string {
    return metricInfoOf(splitVariant(metric).local, catalog.value?.metrics ?? [])?.description ?? '';
  }

  return { catalog, presets, schema, error, load, unitOf, describe };
});
