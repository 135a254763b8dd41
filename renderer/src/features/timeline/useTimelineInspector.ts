// The timeline inspector's state and verbs: the run's timeline summary and failures (in the order
// they were decided), the lane rows (variants shown, groups, collapse, filter), the view and its
// store window, the selected event and the variant it belongs to, and what the buttons, keys and
// clicks do (zoom, pan, whole run, focus an event, step through failures, show or hide a variant,
// put measuring markers);
// opened with an event to focus (a query result's "Show on timeline"), it shows that event first.
// Must not: draw; the components bind these to the canvas, the panels and the shortcuts.

import { computed, onBeforeUnmount, ref, shallowRef, watch } from 'vue';
import type { TimelineEvent, TimelineSummary } from '../../../../core/contract/timeline';
import { lab } from '../../api/labClient';
import { LatestRequests } from '../../api/latestRequests';
import { byDecision, decidedNs, stepFailure } from './eventFormat';
import { groupOf, laneVariant, lanesOfShownVariants, layoutRows, shownLaneIds, variantsOf, type GroupRow } from './laneLayout';
import { centerWindow, clampWindow, focusWindow, MIN_SPAN_NS, panByFraction, wholeRun, zoomAtCenter, type TimeWindow } from './timeScale';
import { useEventSelection } from './useEventSelection';
import { placeMarker } from './measure';
import { useTimelineWindow } from './useTimelineWindow';
import type { TimelineHit } from './windowIndex';
import { errorMessage } from '../../format/errorMessage';
import { formatNs } from '../../format/units';

/** How many failures the list holds (and [ / ] step through). */
export const FAILURE_LIST_LIMIT = 1000;

export function useTimelineInspector(runId: () => number, simulatedNs: () => number, focusSeq: () => number | undefined = () => undefined) {
  const summary = shallowRef<TimelineSummary | null>(null);
  const failures = shallowRef<readonly TimelineEvent[]>([]);
  const loadError = ref<string | null>(null);
  const filter = ref('');
  const collapsed = ref<ReadonlySet<string>>(new Set());
  /** Variants whose lanes are hidden (never all of them). */
  const hiddenVariants = ref<ReadonlySet<string>>(new Set());
  /** Said when [ / ] found no failure that way (instead of doing nothing). */
  const failureNote = ref<string | null>(null);
  /** Measuring markers (ns on the axis): none, A, or A and B. */
  const markers = ref<readonly number[]>([]);

  const totalNs = computed(() => Math.max(MIN_SPAN_NS, simulatedNs(), summary.value?.endNs ?? 0));
  const variants = computed(() => variantsOf(summary.value?.lanes ?? []));
  const shownLanes = computed(() => lanesOfShownVariants(summary.value?.lanes ?? [], hiddenVariants.value));
  const rows = computed(() => layoutRows(shownLanes.value, collapsed.value, filter.value));
  const groups = computed(() => layoutRows(shownLanes.value, collapsed.value, '').filter((r): r is GroupRow => r.type === 'group'));
  const laneVariantOf = (id: number): string => {
    const lane = summary.value?.lanes.find((l) => l.id === id);
    return lane === undefined ? '' : laneVariant(lane);
  };
  /** Failures of the variants shown, in decision order: what [ / ] step through. */
  const shownFailures = computed(() =>
    hiddenVariants.value.size === 0 ? failures.value : failures.value.filter((f) => !hiddenVariants.value.has(laneVariantOf(f.lane))),
  );
  const lanes = computed(() => shownLaneIds(rows.value));
  const win = useTimelineWindow(
    runId,
    () => totalNs.value,
    () => lanes.value,
  );
  const selection = useEventSelection(runId);
  const selected = computed(() => selection.detail.value?.event ?? null);
  /** The variant the inspector looks at: the selected event's, else the first one shown ('' without variants). */
  const focusVariant = computed(() => {
    if (selected.value !== null) return laneVariantOf(selected.value.lane);
    return variants.value.find((v) => !hiddenVariants.value.has(v)) ?? '';
  });

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
      failures.value = byDecision(f);
      hiddenVariants.value = new Set();
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
    failureNote.value = null;
    revealLane(e.lane);
    setView(focusWindow(e, win.view.value, totalNs.value));
    await selection.select(e.seq);
  }

  /**
   * Jumps to the failure decided after (or before) the selected event, or after the view's start
   * (before its end); past the last (first) one it says so.
   */
  async function jumpToFailure(dir: 1 | -1): Promise<void> {
    const v = win.view.value;
    const sel = selected.value;
    const from =
      sel !== null
        ? { tNs: decidedNs(sel), seq: sel.seq }
        : dir === 1
          ? { tNs: v.startNs, seq: -1 }
          : { tNs: v.endNs, seq: Number.MAX_SAFE_INTEGER };
    const next = stepFailure(shownFailures.value, from, dir);
    if (next === null) {
      const listed = shownFailures.value.length;
      failureNote.value =
        listed === 0
          ? 'No failure in the variants shown.'
          : `No failure ${dir === 1 ? 'after' : 'before'} ${formatNs(from.tNs)}${
              (summary.value?.failureCount ?? 0) > failures.value.length && dir === 1 ? ' among the failures listed' : ''
            }: this is the ${dir === 1 ? 'last' : 'first'} one.`;
      return;
    }
    await focus(next);
  }

  /** Shows or hides a variant's lanes; the last variant shown stays. */
  function toggleVariant(name: string): void {
    const next = new Set(hiddenVariants.value);
    if (!next.delete(name)) {
      if (variants.value.every((v) => v === name || next.has(v))) return;
      next.add(name);
    }
    hiddenVariants.value = next;
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
    const variant = laneVariant(lane);
    if (hiddenVariants.value.has(variant)) {
      const next = new Set(hiddenVariants.value);
      next.delete(variant);
      hiddenVariants.value = next;
    }
    const key = groupOf(lane).key;
    if (collapsed.value.has(key)) toggleGroup(key);
    if (!lanes.value.includes(id)) filter.value = '';
  }

  /** Puts a measuring marker at `tNs`; without a time, at the selected event's start (else the view's centre). */
  function mark(tNs?: number): void {
    const v = win.view.value;
    markers.value = placeMarker(markers.value, tNs ?? selected.value?.tNs ?? (v.startNs + v.endNs) / 2);
  }

  function clearMarkers(): void {
    markers.value = [];
  }

  function toggleGroup(key: string): void {
    const next = new Set(collapsed.value);
    if (!next.delete(key)) next.add(key);
    collapsed.value = next;
  }

  /** Focuses the event `seq` of the run (looked up in the store); a missing one is said in the event panel. */
  async function focusBySeq(seq: number): Promise<void> {
    const detail = await selection.select(seq);
    if (detail !== null) await focus(detail.event);
  }

  watch(
    runId,
    async () => {
      markers.value = [];
      await load();
      whole();
      const seq = focusSeq();
      if (seq !== undefined && summary.value !== null) await focusBySeq(seq);
    },
    { immediate: true },
  );
  watch(focusSeq, (seq) => {
    if (seq !== undefined && summary.value !== null) void focusBySeq(seq);
  });
  onBeforeUnmount(() => win.dispose());

  return {
    summary,
    failures,
    failureNote,
    variants,
    hiddenVariants,
    focusVariant,
    toggleVariant,
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
    markers,
    mark,
    clearMarkers,
  };
}
