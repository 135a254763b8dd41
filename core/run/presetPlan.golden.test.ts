// Presets are golden tests: every claim must hold (or the preset documents why the faithful model
// differs), and everything a preset's run measures is pinned per seed: the timeline hash, every
// metric, each claim's value and the ops results (presetPlan.golden.json). A model change that moves
// any of them must regenerate the file on purpose (`npm run golden -- --write`), with the reason in
// the commit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../scenario/presets';
import { presetPlan } from './presetPlan';
import { PlanRun } from './planRun';
import { METRIC_CATALOG, metricInfo } from './metricCatalog';
import { goldenOf, type PresetGolden } from './presetGolden.testkit';
import { legacyTimelineHash } from '../sim/legacyTimelineHash.testkit';

const GOLDEN = JSON.parse(readFileSync(new URL('./presetPlan.golden.json', import.meta.url), 'utf8')) as Record<string, PresetGolden>;

const GOLDEN_HASHES: Record<string, string> = {
  'quickstart-nvme-fio@1': 'fb338813af72aa35',
  'type1-unmap-semantics@1': '3c212d11854fbf5f',
  'type1-entry-limit@1': 'b9eba147055df3a6',
  'memlock-double-charge@1': '7bc51c1bf104cb25',
  'iommufd-unmap-no-split@1': 'd6a0c74ea294339d',
  'spapr-tce-windows@1': '78b5d106187c310d',
  'qemu-iova-tree-alias@1': '0adc4960f986a902',
  'x86-viommu-nvme@1': '6fcc72603c3021b0',
  'vfio-map-unmap-limits@1': '7514ab8caa64f413',
  's390-rpcit-exhaustion@1': '55c93500eda3116d',
  's390-flush-queue-throughput@1': '71a69e45728858b3',
  's390-mlx5-probe@1': '7eee62f66939c240',
  'ppc-eeh-guest-pe@1': 'a8275db664ba3e03',
  'ppc-papr-ddw-nested@1': '53b9c0ef524d67c1',
  'ppc-window-change-nested@1': 'c86845e566fdde44',
};

/**
 * The hashes pinned before timelines were streamed (commit 1ed3f25), of the old whole-timeline
 * definition (legacyTimelineHash.testkit.ts). The streaming hash re-pinned every value above; these
 * prove that the recorded events themselves did not change.
 */
const LEGACY_HASHES: Record<string, string> = {
  'quickstart-nvme-fio@1': 'd9e9f667549b1f9e',
  'type1-unmap-semantics@1': 'e00f39eb5421da10',
  'type1-entry-limit@1': '3e742e5c9f29946e',
  'memlock-double-charge@1': 'bb3ece1ee1eb7748',
  'iommufd-unmap-no-split@1': '1b3574eae0fb283a',
  'spapr-tce-windows@1': 'fe7667e02fd61120',
  'qemu-iova-tree-alias@1': 'd1ff93867cfd2269',
  'x86-viommu-nvme@1': 'bad403893245c95c',
  'vfio-map-unmap-limits@1': '63cdcf4ff14c12b7',
  's390-rpcit-exhaustion@1': '9aff9081734cd913',
  's390-flush-queue-throughput@1': 'c59803b728468b19',
  's390-mlx5-probe@1': '77f5243be6d50e20',
  'ppc-eeh-guest-pe@1': 'd0cd27b6e34f31d3',
  'ppc-papr-ddw-nested@1': '74498e0e3e15bb32',
  'ppc-window-change-nested@1': '0d284211590ef558',
};

describe.each(PRESETS.map((p) => [p.id, p] as const))('preset %s', (id, preset) => {
  const planned = presetPlan(preset);
  it('is a valid plan', () => {
    expect(planned.ok ? [] : planned.problems).toEqual([]);
  });
  if (!planned.ok) return;
  const run = new PlanRun(planned.plan);
  const result = run.runToEnd();

  it('states at least one claim; every claim holds as measured, or the preset documents why the faithful model differs', () => {
    expect(result.claims.length).toBeGreaterThan(0);
    const documented = new Set(
      [...(preset.claims ?? []), ...(preset.scenario.claims ?? [])].filter((c) => c.whyNot !== undefined).map((c) => c.id),
    );
    for (const c of result.claims) {
      if (!c.holds)
        expect({ id: c.id, measured: c.measured, documentedGap: documented.has(c.id) }).toMatchObject({ id: c.id, documentedGap: true });
    }
  });

  it('has a pinned timeline hash for its seed', () => {
    expect(result.timelineHash).toBe(GOLDEN_HASHES[`${id}@${planned.plan.base.seed}`]);
  });

  it('records the same events as before the streaming hash (legacy whole-timeline hash unchanged)', () => {
    expect(legacyTimelineHash(run.timelineColumns())).toBe(LEGACY_HASHES[`${id}@${planned.plan.base.seed}`]);
  });

  it('measures what the golden file pins (metrics, claims, ops)', () => {
    expect(goldenOf(result)).toEqual(GOLDEN[id]);
  });

  it('produces only metrics the catalog documents (each has a unit)', () => {
    const unknown = Object.keys(result.metrics).filter((m) => metricInfo(m) === undefined);
    expect(unknown).toEqual([]);
    expect(METRIC_CATALOG.length).toBeGreaterThan(0);
  });
});
