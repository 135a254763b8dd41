// Experiments and saved comparisons as the renderer knows them: the lists, the experiment open on
// its page, and the calls that change them. Run progress is the runs store's (one poll of
// getActiveRuns for the whole app); starting an experiment's runs starts that polling.
// Must not: compute comparisons or expand grids (the lab does).

import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SavedComparisonRequest, SavedComparisonSummary } from '../../../core/contract/comparison';
import type { ExperimentDetail, ExperimentRequest, ExperimentSummary } from '../../../core/contract/experiments';
import { lab } from '../api/labClient';
import { useRunsStore } from './runs';
import { errorMessage } from '../format/errorMessage';

export const useExperimentsStore = defineStore('experiments', () => {
  const experiments = ref<ExperimentSummary[]>([]);
  const comparisons = ref<SavedComparisonSummary[]>([]);
  const loaded = ref(false);
  const comparisonsLoaded = ref(false);
  const error = ref<string | null>(null);

  async function refresh(): Promise<void> {
    try {
      experiments.value = await lab.listExperiments();
      loaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  async function refreshComparisons(): Promise<void> {
    try {
      comparisons.value = await lab.listComparisons();
      comparisonsLoaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  /** Creates the experiment (the lab validates every variant first); throws the lab's problems. */
  async function create(request: ExperimentRequest): Promise<number> {
    const { experimentId } = await lab.createExperiment(request);
    await refresh();
    return experimentId;
  }

  function get(experimentId: number): Promise<ExperimentDetail> {
    return lab.getExperiment(experimentId);
  }

  /** Queues one run per variant and follows their progress. */
  async function runAll(experimentId: number): Promise<number[]> {
    const { runIds } = await lab.runExperiment(experimentId);
    const runs = useRunsStore();
    await runs.refresh();
    runs.ensurePolling();
    return runIds;
  }

  async function remove(experimentId: number): Promise<void> {
    await lab.deleteExperiment(experimentId);
    await refresh();
  }

  async function saveComparison(request: SavedComparisonRequest): Promise<number> {
    const { comparisonId } = await lab.saveComparison(request);
    await refreshComparisons();
    return comparisonId;
  }

  async function removeComparison(comparisonId: number): Promise<void> {
    await lab.deleteComparison(comparisonId);
    await refreshComparisons();
  }

  return {
    experiments,
    comparisons,
    loaded,
    comparisonsLoaded,
    error,
    refresh,
    refreshComparisons,
    create,
    get,
    runAll,
    remove,
    saveComparison,
    removeComparison,
  };
});
