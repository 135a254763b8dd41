// Runs as the renderer knows them: the stored list (with the history's filter applied by the lab),
// and the live progress of active runs, polled from the service while anything is queued or
// running. Each poll keeps the previous sample per run so rates can be derived when the host does
// not report them.
// Must not: compute results; it only mirrors the service.

import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RunFilter, StartRunRequest } from '../../../core/contract/labApi';
import type { RunProgress, RunSummary } from '../../../core/contract/runResult';
import { lab } from '../api/labClient';
import { LatestRequests } from '../api/latestRequests';
import { estimateProgress, isActive, sampleOf, type ProgressEstimate, type ProgressSample } from '../features/run/progressEstimate';
import { errorMessage } from '../format/errorMessage';

const POLL_MS = 250;

export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([]);
  const loaded = ref(false);
  const active = ref<RunProgress[]>([]);
  const error = ref<string | null>(null);
  const filter = ref<{ text: string; status: string }>({ text: '', status: '' });
  const samples = new Map<number, { previous?: ProgressSample; latest: ProgressSample }>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** A list answered for an older filter (or an older refresh) is dropped. */
  const refreshes = new LatestRequests();

  const anyActive = computed(() => active.value.some((p) => isActive(p.status)));

  async function refresh(): Promise<void> {
    const mine = refreshes.issue();
    const f: RunFilter = { text: filter.value.text.trim(), status: filter.value.status };
    try {
      const list = await lab.listRuns(f);
      if (!refreshes.isLatest(mine)) return;
      runs.value = list;
      loaded.value = true;
      error.value = null;
    } catch (err) {
      error.value = errorMessage(err);
    }
  }

  function progressOf(runId: number): RunProgress | undefined {
    return active.value.find((p) => p.runId === runId);
  }

  function estimateOf(runId: number): ProgressEstimate | undefined {
    const p = progressOf(runId);
    return p === undefined ? undefined : estimateProgress(p, samples.get(runId)?.previous, samples.get(runId)?.latest.atMs ?? 0);
  }

  function record(list: readonly RunProgress[]): void {
    const now = performance.now();
    for (const p of list) {
      const latest = samples.get(p.runId)?.latest;
      samples.set(p.runId, { previous: latest, latest: sampleOf(p, now) });
    }
  }

  async function poll(): Promise<void> {
    timer = null;
    const wasActive = new Set(active.value.filter((p) => isActive(p.status)).map((p) => p.runId));
    try {
      const list = await lab.getActiveRuns();
      record(list);
      active.value = list;
    } catch (err) {
      error.value = errorMessage(err);
      return;
    }
    const changed = active.value.some(
      (p) => (wasActive.has(p.runId) && !isActive(p.status)) || (!wasActive.has(p.runId) && isActive(p.status)),
    );
    if (changed) await refresh();
    if (anyActive.value) timer = setTimeout(() => void poll(), POLL_MS);
  }

  function ensurePolling(): void {
    if (timer === null) timer = setTimeout(() => void poll(), 0);
  }

  async function start(request: StartRunRequest): Promise<number> {
    const { runId } = await lab.startRun(request);
    await refresh();
    ensurePolling();
    return runId;
  }

  async function cancel(runId: number): Promise<void> {
    await lab.cancelRun(runId);
    ensurePolling();
  }

  async function remove(runId: number): Promise<void> {
    await lab.deleteRun(runId);
    await refresh();
  }

  /** Deletes each run; returns the ids the lab refused, with its reasons (the rest are gone). */
  async function removeMany(runIds: readonly number[]): Promise<{ runId: number; error: unknown }[]> {
    const failures: { runId: number; error: unknown }[] = [];
    for (const runId of runIds) {
      try {
        await lab.deleteRun(runId);
      } catch (err) {
        failures.push({ runId, error: err });
      }
    }
    await refresh();
    return failures;
  }

  return {
    runs,
    loaded,
    active,
    error,
    filter,
    anyActive,
    refresh,
    progressOf,
    estimateOf,
    ensurePolling,
    start,
    cancel,
    remove,
    removeMany,
  };
});
