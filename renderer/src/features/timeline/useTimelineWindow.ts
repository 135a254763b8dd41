// The timeline's view and the store window behind it: every change of the view (or of the lanes
// shown, or of the track width) asks the store for that window at pixel resolution, debounced
// while the view moves; answers older than the one shown are dropped, and until the new answer
// comes the canvas keeps drawing the previous one re-projected on the new view.
// Must not: draw or hold layout; the answer time of each window is kept for the status line.

import { ref, shallowRef, watch, type Ref } from 'vue';
import { lab } from '../../api/labClient';
import { queryBounds, wholeRun, type TimeWindow } from './timeScale';
import { indexWindow, type WindowIndex } from './windowIndex';
import { LatestRequests } from '../../api/latestRequests';
import { DebouncedFetch } from './windowRequests';
import { errorMessage } from '../../format/errorMessage';

/** Quiet time after the last move before fetching, and the longest a moving view goes unfetched. */
const FETCH_WAIT_MS = 35;
const FETCH_MAX_WAIT_MS = 120;

export interface TimelineWindowState {
  readonly view: Ref<TimeWindow>;
  readonly data: Ref<WindowIndex | null>;
  /** Wall time of the last shown answer, request to parsed (ms). */
  readonly answerMs: Ref<number | null>;
  readonly pending: Ref<boolean>;
  readonly error: Ref<string | null>;
  readonly widthPx: Ref<number>;
  dispose(): void;
}

export function useTimelineWindow(runId: () => number, totalNs: () => number, lanes: () => readonly number[]): TimelineWindowState {
  const view = shallowRef<TimeWindow>(wholeRun(totalNs()));
  const data = shallowRef<WindowIndex | null>(null);
  const answerMs = ref<number | null>(null);
  const pending = ref(false);
  const error = ref<string | null>(null);
  const widthPx = ref(0);
  const requests = new LatestRequests();

  async function fetchView(): Promise<void> {
    if (widthPx.value <= 0) return;
    const id = requests.issue();
    pending.value = true;
    const started = performance.now();
    const bounds = queryBounds(view.value);
    try {
      const w = await lab.getTimelineWindow({ runId: runId(), ...bounds, widthPx: Math.round(widthPx.value), lanes: [...lanes()] });
      if (!requests.accept(id)) return;
      data.value = indexWindow(w);
      answerMs.value = performance.now() - started;
      error.value = null;
    } catch (err) {
      if (requests.accept(id)) error.value = errorMessage(err);
    } finally {
      pending.value = requests.pending;
    }
  }

  const debounced = new DebouncedFetch(() => void fetchView(), FETCH_WAIT_MS, FETCH_MAX_WAIT_MS, {
    now: () => performance.now(),
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (h) => window.clearTimeout(h as number),
  });

  const stopView = watch(view, () => debounced.poke());
  // A new lane set or width changes what an answer holds: fetch at once.
  const stopShape = watch([() => lanes().join(','), widthPx, runId], () => debounced.flush());
  const stopTotal = watch(totalNs, (t) => (view.value = wholeRun(t)));

  return {
    view,
    data,
    answerMs,
    pending,
    error,
    widthPx,
    dispose() {
      debounced.cancel();
      stopView();
      stopShape();
      stopTotal();
    },
  };
}
