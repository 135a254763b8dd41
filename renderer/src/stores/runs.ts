// Runs as the renderer knows them: the stored list and the live progress of active runs, polled
// from the service while anything is queued or running.
// Must not: compute results; it only mirrors the service.

import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { StartRunRequest } from '../../../core/contract/labApi';
import type { RunProgress, RunSummary } from '../../../core/contract/runResult';
import { lab } from '../api/labClient';

const POLL_MS = 250;

export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunSummary[]>([]);
  const active = ref<RunProgress[]>([]);
  const error = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;

  const anyActive = computed(() => active.value.some((p) => p.status === 'queued' || p.status === 'running'));

  async function refresh(): Promise<void> {
    try {
      runs.value = await lab.listRuns({});
      error.value = null;
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  }

  function progressOf(runId: number): RunProgress | undefined {
    return active.value.find((p) => p.runId === runId);
  }

  async function poll(): Promise<void> {
    timer = null;
    const wasActive = new Set(active.value.filter((p) => p.status === 'queued' || p.status === 'running').map((p) => p.runId));
    active.value = await lab.getActiveRuns();
    const finished = active.value.some((p) => wasActive.has(p.runId) && p.status !== 'queued' && p.status !== 'running');
    if (finished) await refresh();
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

  return { runs, active, error, anyActive, refresh, progressOf, ensurePolling, start, cancel, remove };
});
