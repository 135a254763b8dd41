// The DMA mode each guest DMA domain of a stored run ran in, and why (RunDetail.dmaModes): the
// dma.mode event dma-iommu records at a domain's creation, the first events of its lane.
// Must not: scan a lane further than its first events (TimelineStore.firstOfKind bounds it).

import type { DmaModeInfo } from '../../core/contract/runResult';
import type { TimelineStore } from '../../db/timeline/timelineStore';

export function dmaModesOf(timeline: TimelineStore, runId: number): DmaModeInfo[] {
  const meta = timeline.meta(runId);
  if (meta === undefined) return [];
  const laneNames = new Map(meta.lanes.map((l) => [l.id, l.name]));
  return timeline.firstOfKind(runId, 'dma.mode').map((e) => ({
    lane: laneNames.get(e.lane) ?? String(e.lane),
    mode: String(e.args['mode'] ?? ''),
    why: String(e.args['why'] ?? ''),
    forced: e.args['forced'] === 1,
  }));
}
