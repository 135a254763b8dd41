// A run as one JSON document: the run detail (scenario with defaults, metrics, claims, ops,
// counters), each variant's own simulated time (variants run on their own clocks from 0; the run's
// simulatedNs is the longest), the timeline's lanes and kinds, then every event in time order. Written as a stream:
// the events array is never built in memory.
// Must not: hold more than a chunk of output.

import { ChunkWriter, type ExportSource } from './runExportSource';

export const JSON_EXPORT_FORMAT = 'pcilab-run';

export function* jsonChunks(source: ExportSource): Generator<string> {
  const { run, meta } = source;
  const out = new ChunkWriter();
  const lanes = (meta?.lanes ?? []).map((l) => ({ id: l.id, name: l.name, group: l.group }));
  const variants = run.variants.map((v) => {
    const ms = run.metrics[`${v.name}:sim.simulatedMs`];
    return { name: v.name, simulatedNs: ms === undefined ? null : Math.round(ms * 1e6) };
  });
  const head = out.add(
    `{"format":${JSON.stringify(JSON_EXPORT_FORMAT)},"version":1,"run":${JSON.stringify(run)},"variants":${JSON.stringify(variants)},` +
      `"timeline":${JSON.stringify(meta === undefined ? null : { complete: meta.complete, eventCount: meta.eventCount, startNs: meta.startNs, endNs: meta.endNs })},` +
      `"lanes":${JSON.stringify(lanes)},"kinds":${JSON.stringify(meta?.kinds ?? [])},"events":[`,
  );
  if (head !== null) yield head;
  let first = true;
  for (const e of source.events()) {
    const chunk = out.add((first ? '\n' : ',\n') + JSON.stringify(e));
    first = false;
    if (chunk !== null) yield chunk;
  }
  const tail = out.add('\n]}\n');
  yield tail ?? out.flush();
}
