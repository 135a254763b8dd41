// The selected event of the timeline with its details (cause chain, effects), fetched from the
// store; selecting again before an answer comes drops the older answer.
// Must not: move the view (the inspector decides where to look).

import { ref, shallowRef, type Ref } from 'vue';
import type { TimelineEventDetail } from '../../../../core/contract/timeline';
import { lab } from '../../api/labClient';
import { LatestRequests } from '../../api/latestRequests';
import { errorMessage } from '../../format/errorMessage';

export interface EventSelection {
  readonly detail: Ref<TimelineEventDetail | null>;
  readonly loadingSeq: Ref<number | null>;
  readonly error: Ref<string | null>;
  select(seq: number): Promise<TimelineEventDetail | null>;
  clear(): void;
}

export function useEventSelection(runId: () => number): EventSelection {
  const detail = shallowRef<TimelineEventDetail | null>(null);
  const loadingSeq = ref<number | null>(null);
  const error = ref<string | null>(null);
  const requests = new LatestRequests();

  async function select(seq: number): Promise<TimelineEventDetail | null> {
    const id = requests.issue();
    loadingSeq.value = seq;
    try {
      const d = await lab.getTimelineEvent(runId(), seq);
      if (!requests.accept(id)) return null;
      detail.value = d;
      error.value = null;
      return d;
    } catch (err) {
      if (requests.accept(id)) error.value = errorMessage(err);
      return null;
    } finally {
      if (!requests.pending) loadingSeq.value = null;
    }
  }

  function clear(): void {
    requests.dropAll();
    detail.value = null;
    loadingSeq.value = null;
  }

  return { detail, loadingSeq, error, select, clear };
}
