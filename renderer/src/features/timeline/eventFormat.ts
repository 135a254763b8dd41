// How the inspector shows an event: its arguments by their kind's declared format (hex address,
// bytes, ns duration, errno name, interned string, integer), a one-line label for lists (cause
// chain, effects, failures), and which failure comes next or before a point in the run (failures
// ordered by when they were decided, after their causes).
// Must not: touch the DOM or fetch.

import type { TimelineArgFormat, TimelineEvent, TimelineKindInfo } from '../../../../core/contract/timeline';
import { formatBytes, formatCount, formatNs } from '../../format/units';
import type { TimelineHit } from './windowIndex';

export function formatArg(value: number | string, format: TimelineArgFormat): string {
  if (typeof value === 'string') return value;
  switch (format) {
    case 'hex':
      return `0x${value.toString(16)}`;
    case 'bytes':
      return `${formatBytes(value)} (${formatCount(value)} B)`;
    case 'ns':
      return formatNs(value);
    case 'errno':
      // The store decodes errnos to their names (core/contract/errnoNames.ts); a number here is not one.
      return `errno ${value}`;
    case 'str':
    case 'int':
      return formatCount(value);
    default: {
      const never: never = format;
      throw new Error(`unknown arg format ${String(never)}`);
    }
  }
}

export interface ShownArg {
  readonly name: string;
  readonly text: string;
  readonly format: TimelineArgFormat;
}

/** The event's arguments in its kind's order, formatted (an argument the kind does not declare shows as-is). */
export function formatArgs(event: TimelineEvent, kinds: readonly TimelineKindInfo[]): ShownArg[] {
  const kind = kinds.find((k) => k.name === event.kind);
  const formats = new Map((kind?.args ?? []).map((a) => [a.name, a.format]));
  return Object.entries(event.args).map(([name, value]) => {
    const format = formats.get(name) ?? 'int';
    return { name, text: formatArg(value, format), format };
  });
}

/** "#6292 rpcit.refresh.insufficientResources at 100.54 ms" */
export function eventLabel(e: TimelineEvent): string {
  return `#${e.seq} ${e.kind} at ${formatNs(e.tNs)}`;
}

/** What the pointer is over, in one line: an event's kind, start and duration; a crowded column's count and span. */
export function hoverText(hit: TimelineHit): string {
  if (hit.type === 'aggregate') {
    const n = hit.count === 1 ? '1 event' : `${formatCount(hit.count)} events`;
    return `${n} from ${formatNs(hit.startNs)} to ${formatNs(hit.endNs)} (click to zoom in)`;
  }
  const e = hit.event;
  return `${e.failure ? 'failure: ' : ''}${e.kind} at ${formatNs(e.tNs)}, ${formatNs(e.durNs)} long (#${e.seq})`;
}

/** A point of the run to step from: an event (its time and seq), or a bare time (seq -1 before it). */
export interface RunPoint {
  readonly tNs: number;
  readonly seq: number;
}

/**
 * When a failure was decided: the end of its span. A failed map's span starts when the call does,
 * and the events that decide it (an RPCIT answering "insufficient resources", a VFIO map refused)
 * lie inside it: listed at its start, a failure would come before its own causes.
 */
export function decidedNs(e: TimelineEvent): number {
  return e.tNs + e.durNs;
}

/** Failures in the order they were decided (ties by seq), as the list shows them and [ / ] step. */
export function byDecision(failures: readonly TimelineEvent[]): TimelineEvent[] {
  return [...failures].sort((a, b) => decidedNs(a) - decidedNs(b) || a.seq - b.seq);
}

function after(e: TimelineEvent, p: RunPoint): boolean {
  const t = decidedNs(e);
  return t > p.tNs || (t === p.tNs && e.seq > p.seq);
}

/**
 * The failure after (dir 1) or before (dir -1) a point, from failures in decision order (byDecision);
 * null past the ends. A point is a time, or a failure's decision time and seq.
 */
export function stepFailure(failures: readonly TimelineEvent[], from: RunPoint, dir: 1 | -1): TimelineEvent | null {
  if (dir === 1) return failures.find((f) => after(f, from)) ?? null;
  for (let i = failures.length - 1; i >= 0; i--) {
    const f = failures[i]!;
    if (f.seq !== from.seq && !after(f, from)) return f;
  }
  return null;
}

/** A stable colour per event kind (hue from the name); failures take the theme's warning colour. */
export function kindHue(kind: string): number {
  let h = 0;
  for (let i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) >>> 0;
  return h % 360;
}
