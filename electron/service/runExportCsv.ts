// A run's timeline as CSV: a header, then one row per event in time order
// (seq, t_ns, dur_ns, lane, kind, failure, cause, args as JSON), quoted as RFC 4180 says.
// Must not: hold more than a chunk of output.

import { ChunkWriter, type ExportSource } from './runExportSource';

export const CSV_HEADER = 'seq,t_ns,dur_ns,lane,kind,failure,cause,args';

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function* csvChunks(source: ExportSource): Generator<string> {
  const out = new ChunkWriter();
  const lanes = source.meta?.lanes ?? [];
  const head = out.add(CSV_HEADER + '\n');
  if (head !== null) yield head;
  for (const e of source.events()) {
    const lane = lanes[e.lane]?.name ?? `lane${e.lane}`;
    const row = `${e.seq},${e.tNs},${e.durNs},${csvField(lane)},${csvField(e.kind)},${e.failure ? 1 : 0},${e.cause ?? ''},${csvField(JSON.stringify(e.args))}\n`;
    const chunk = out.add(row);
    if (chunk !== null) yield chunk;
  }
  yield out.flush();
}
