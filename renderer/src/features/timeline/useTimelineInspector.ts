// The timeline inspector's state and verbs: the run's timeline summary and failures, the lane rows
// (groups, collapse, filter), the view and its store window, the selected event, and what the
// buttons, keys and clicks do (zoom, pan, whole run, focus an event, step through failures).
// Must not: draw; the components bind these to the canvas, the panels and the shortcuts.

import { computed, onBeforeUnmount, ref, shallowRef, watch } from 'vue';
import type { TimelineEvent, TimelineSummary } from '../../../../core/contract/timeline';
import { lab } from '../../api/labClient';
import { LatestRequests } from '../../api/latestRequests';
import { stepFailure } from './eventFormat';
import { groupOf, layoutRows, shownLaneIds, type GroupRow } from './laneLayout';
import { centerWindow, clampWindow, focusWindow, MIN_SPAN_NS, panByFraction, wholeRun, zoomAtCenter, type TimeWindow } from './timeScale';
import { useEventSelection } from './useEventSelection';
import { useTimelineWindow } from './useTimelineWindow';
import type { TimelineHit } from './windowIndex';
import { errorMessage } from '../../format/errorMessage';

/** How many failures the list holds (and [ / ] step through). */
export const FAILURE_LIST_LIMIT = 1000;

export function useTimelineInspector(runId: () => number, simulatedNs: () => number) {
  const summary = shallowRef<TimelineSummary | null>(null);
  const failures = shallowRef<readonly TimelineEvent[]>([]);
  const loadError = ref<string | null>(null);
  const filter = ref('');
  const collapsed = ref<ReadonlySet<string>>(new Set());

  const totalNs = computed(() => Math.max(MIN_SPAN_NS, simulatedNs(), summary.value?.endNs ?? 0));
  const rows = computed(() => layoutRows(summary.value?.lanes ?? [], collapsed.value, filter.value));
  const groups = computed(() =>
    layoutRows(summary.value?.lanes ?? [], collapsed.value, '').filter((r): r is GroupRow => r.type === 'group'),
  );
  const lanes = computed(() => shownLaneIds(rows.value));
  const win = useTimelineWindow(
    runId,
    () => totalNs.value,
    () => lanes.value,
  );
  const selection = useEventSelection(runId);
  const selected = computed(() => selection.detail.value?.event ?? null);

  /** A summary answered for a run the inspector has since left is dropped. */
  const loads = new LatestRequests();

  async function load(): Promise<void> {
    const mine = loads.issue();
    const id = runId();
    try {
      const s = await lab.getTimelineSummary(id);
      const f = s.failureCount > 0 ? await lab.listFailures(id, FAILURE_LIST_LIMIT) : [];
      if (!loads.isLatest(mine)) return;
      summary.value = s;
      failures.value = f;
      loadError.value = null;
    } catch (err) {
      if (loads.isLatest(mine)) loadError.value = errorMessage(err);
    }
  }

  function setView(w: TimeWindow): void {
    win.view.value = clampWindow(w, totalNs.value);
  }

  const zoom = (factor: number): void => setView(zoomAtCenter(win.view.value, factor, totalNs.value));
  const pan = (fraction: number): void => setView(panByFraction(win.view.value, fraction, totalNs.value));
  const whole = (): void => setView(wholeRun(totalNs.value));

  /** Centres the view on an event (zooming in when far out) and selects it, showing its lane if hidden. */
  async function focus(e: TimelineEvent): Promise<void> {
    revealLane(e.lane);
    setView(focusWindow(e, win.view.value, totalNs.value));
    await selection.select(e.seq);
  }

  /** Jumps to the failure after (or before) the selected event, or after the view's start (before its end). */
  async function jumpToFailure(dir: 1 | -1): Promise<void> {
    const v = win.view.value;
    const from = selected.value ?? (dir === 1 ? { tNs: v.startNs, seq: -1 } : { tNs: v.endNs, seq: Number.MAX_SAFE_INTEGER });
    const next = stepFailure(failures.value, from, dir);
    if (next !== null) await focus(next);
  }

  function onHit(hit: TimelineHit | null): void {
    if (hit === null) return selection.clear();
    if (hit.type === 'event') return void selection.select(hit.event.seq);
    // A crowded column: zoom so it spans a quarter of the view, and show its first event.
    const span = Math.max(MIN_SPAN_NS, (hit.endNs - hit.startNs) * 4);
    setView(centerWindow((hit.startNs + hit.endNs) / 2, span, totalNs.value));
    void selection.select(hit.seq);
  }

  function revealLane(id: number): void {
    const lane = summary.value?.lanes.find((l) => l.id === id);
    if (lane === undefined) return;
    const key = groupOf(lane).key;
    if (collapsed.value.has(key)) toggleGroup(key);
    if (!lanes.value.includes(id)) filter.value = '';
  }

  function toggleGroup(key: string): void {
    const next = new Set(collapsed.value);
    if (!next.delete(key)) next.add(key);
    collapsed.value = next;
  }

  watch(runId, () => void load().then(whole), { immediate: true });
  onBeforeUnmount(() => win.dispose());

  return {
    summary,
    failures,
    loadError,
    filter,
    rows,
    groups,
    totalNs,
    win,
    selection,
    selected,
    setView,
    zoom,
    pan,
    whole,
    focus,
    jumpToFailure,
    onHit,
    toggleGroup,
  };
}
