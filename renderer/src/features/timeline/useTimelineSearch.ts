// The timeline's search (kind or argument, eventSearch.ts): steps to the next or previous match from
// the selected event (else the view's start or end), in the variants shown, and says where it is
// ("Match 3 of 17") or that nothing matches. Each step is one read-only query (LabApi.queryRun);
// a step asked for before the last answered drops the older answer.
// Must not: move the view itself (it asks the inspector to focus the match).

import { ref } from 'vue';
import type { TimelineEvent } from '../../../../core/contract/timeline';
import { lab } from '../../api/labClient';
import { LatestRequests } from '../../api/latestRequests';
import { errorMessage } from '../../format/errorMessage';
import { readSearchAnswer, SEARCH_MAX_CHARS, searchSql, searchStatus, type SearchFrom } from './eventSearch';
import type { TimeWindow } from './timeScale';

export interface SearchContext {
  runId(): number;
  selected(): TimelineEvent | null;
  view(): TimeWindow;
  hiddenVariants(): readonly string[];
  focus(event: TimelineEvent): Promise<void>;
}

export function useTimelineSearch(ctx: SearchContext) {
  const text = ref('');
  const status = ref<string | null>(null);
  const searching = ref(false);
  const failed = ref(false);
  const requests = new LatestRequests();

  async function step(dir: 1 | -1): Promise<void> {
    const t = text.value.trim();
    if (t === '') return void (status.value = 'Type part of a kind name or an argument value to find.');
    if (t.length > SEARCH_MAX_CHARS) return void (status.value = `The search text is longer than ${SEARCH_MAX_CHARS} characters.`);
    const sel = ctx.selected();
    const v = ctx.view();
    const from: SearchFrom =
      sel !== null
        ? { tNs: sel.tNs, seq: sel.seq }
        : dir === 1
          ? { tNs: v.startNs, seq: -1 }
          : { tNs: v.endNs, seq: Number.MAX_SAFE_INTEGER };
    const mine = requests.issue();
    searching.value = true;
    try {
      const id = ctx.runId();
      const answer = readSearchAnswer(await lab.queryRun(id, searchSql(t, from, dir, ctx.hiddenVariants())));
      if (!requests.isLatest(mine)) return;
      if (answer.next !== null) {
        const detail = await lab.getTimelineEvent(id, answer.next.seq);
        if (!requests.isLatest(mine)) return;
        await ctx.focus(detail.event);
      }
      status.value = searchStatus(t, answer, dir);
      failed.value = false;
    } catch (err) {
      if (!requests.isLatest(mine)) return;
      status.value = `The search failed: ${errorMessage(err)}`;
      failed.value = true;
    } finally {
      if (requests.isLatest(mine)) searching.value = false;
    }
  }

  function reset(): void {
    requests.dropAll();
    status.value = null;
    searching.value = false;
  }

  return { text, status, searching, failed, step, reset };
}
