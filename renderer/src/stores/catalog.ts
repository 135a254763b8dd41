// Reference data from the lab, loaded once: metric units, defaults with their sources, cost table,
// presets, the scenario's JSON Schema (the configurator's field lists), and which hypervisors each
// architecture accepts (asked of the lab's validator, so it is never a second copy of its rules).
// Must not: hard-code any of it; it comes from the service.

import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LabCatalog, PresetSummary } from '../../../core/contract/catalog';
import { lab } from '../api/labClient';
import type { JsonSchema } from '../schema/jsonSchema';
import { metricInfoOf, splitVariant } from '../run/metricTable';

export const useCatalogStore = defineStore('catalog', () => {
  const catalog = ref<LabCatalog | null>(null);
  const presets = ref<PresetSummary[]>([]);
  const schema = ref<JsonSchema | null>(null);
  const hypervisorsByArch = ref<Record<string, string[]>>({});
  const error = ref<string | null>(null);
  let loading: Promise<void> | null = null;

  async function fetchAll(): Promise<void> {
    try {
      const [c, p, s] = await Promise.all([lab.getCatalog(), lab.listPresets(), lab.getScenarioSchema()]);
      catalog.value = c;
      presets.value = p;
      schema.value = s as JsonSchema;
      hypervisorsByArch.value = await probePlatforms(s as JsonSchema);
      error.value = null;
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
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

  return { catalog, presets, schema, hypervisorsByArch, error, load, unitOf, describe };
});

/** Each arch x hypervisor pair the schema lists, kept when the lab's validator accepts it. */
async function probePlatforms(schema: JsonSchema): Promise<Record<string, string[]>> {
  const host = schema.properties?.['host']?.properties;
  const arches = (host?.['arch']?.enum ?? []) as string[];
  const hypervisors = (host?.['hypervisor']?.enum ?? []) as string[];
  const pairs = arches.flatMap((arch) => hypervisors.map((hypervisor) => ({ arch, hypervisor })));
  const verdicts = await Promise.all(
    pairs.map(async ({ arch, hypervisor }) => {
      const result = await lab.validateScenario({ scenario: { name: 'platform-probe', host: { arch, hypervisor } } });
      return !result.problems.some((p) => p.startsWith('host.hypervisor:') || p.startsWith('host.arch:'));
    }),
  );
  const byArch: Record<string, string[]> = {};
  pairs.forEach((p, i) => {
    if (verdicts[i] === true) (byArch[p.arch] ??= []).push(p.hypervisor);
  });
  return byArch;
}
