// The portable run bundle's format (docs/bundles.md): gzip'd JSON lines, one record per line. The
// header line names the format, its version and the lab that wrote it; then the run, its metrics,
// claims, ops, one line per counter, the timeline's definitions and its events in seq order (columns
// of up to EVENTS_PER_LINE events per line); the last line holds the line count and two SHA-256
// digests: `sha256` of every byte before the last line (the checksum: damage shows) and
// `contentSha256` of the lines between the header and the last line (the content hash: the same run
// has the same one wherever and whenever it is exported, it names no run id and no export time).
// Numbers that JSON cannot carry (NaN, +-Infinity) are written as those strings.
// Must not: touch the database (runBundleExport.ts and runBundleImport.ts do).

import { z } from 'zod';

export const BUNDLE_FORMAT = 'pcilab-run-bundle';
/** The format version this lab writes and the newest it reads. */
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_EXTENSION = '.pcilab-run.jsonl.gz';
export const BUNDLE_CONTENT_TYPE = 'application/gzip';
export const EVENTS_PER_LINE = 4096;
/** What a bundle may unpack to: more than this is refused before it is parsed. */
export const BUNDLE_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Why a bundle cannot be imported; `message` names the file and the problem in one line. */
export type BundleProblem = 'not-a-bundle' | 'newer-version' | 'damaged' | 'invalid';

export class BundleError extends Error {
  constructor(
    readonly problem: BundleProblem,
    message: string,
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

/** A float as JSON: finite numbers as they are, the others as "NaN", "Infinity", "-Infinity". */
export function encodeFloat(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** The float a JSON value stands for, or undefined when it is none. */
export function decodeFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? NON_FINITE[v] : undefined;
}

const float = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).transform((v) => decodeFloat(v)!);
/** Stored in a REAL column that may not be NULL (SQLite stores NaN as NULL). */
const real = float.refine((x) => !Number.isNaN(x), 'expected a number, not NaN');
const text = z.string().max(1_000_000);
const safeInt = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');

export const HeaderLine = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.number().int().min(1),
  labVersion: z.string().max(100),
  exportedAt: z.string().max(100),
});

export const RunLine = z.strictObject({
  run: z.strictObject({
    name: text.min(1),
    preset: text.nullable(),
    status: z.enum(['completed', 'failed', 'cancelled', 'interrupted']),
    seed: safeInt,
    createdAt: z.string().min(1).max(100),
    finishedAt: z.string().max(100).nullable(),
    durationNs: safeInt,
    simulatedNs: real,
    eventCount: count,
    timelineHash: text.nullable(),
    error: text.nullable(),
    scenario: z.unknown(),
    variants: z.array(z.unknown()),
    planClaims: z.array(z.unknown()),
  }),
});

export const MetricsLine = z.strictObject({ metrics: z.array(z.tuple([text.min(1), real])) });

export const ClaimsLine = z.strictObject({
  claims: z.array(
    z.strictObject({
      id: text,
      text,
      holds: z.boolean(),
      measured: real.nullable(),
      expectation: text,
      source: text,
      note: text.nullable(),
      metric: text.nullable(),
      per: text.nullable(),
      unit: text.nullable(),
    }),
  ),
});

export const OpsLine = z.strictObject({
  ops: z.array(z.strictObject({ op: text, ok: z.boolean(), errno: text.nullable(), ret: z.unknown() })),
});

export const CounterLine = z.strictObject({
  counter: z.strictObject({ name: text, unit: text, tNs: z.array(float), values: z.array(float) }),
});

const argFormat = z.enum(['int', 'hex', 'bytes', 'ns', 'str', 'errno']);

export const TimelineLine = z.strictObject({
  timeline: z
    .strictObject({
      complete: z.boolean(),
      lanes: z.array(z.strictObject({ id: z.number().int().min(0).max(65_535), name: text, group: text })).max(65_536),
      kinds: z
        .array(
          z.strictObject({
            id: z.number().int().min(0).max(65_535),
            name: text.min(1),
            args: z.array(z.strictObject({ name: text.min(1), format: argFormat })).max(3),
            failure: z.boolean(),
          }),
        )
        .max(65_536),
      strings: z.array(text),
    })
    .nullable(),
});

/** Events first .. first + t.length - 1, as columns; checked by checkEventsLine (zod is too slow for millions of numbers). */
export interface EventsColumns {
  readonly first: number;
  readonly t: readonly unknown[];
  readonly dur: readonly unknown[];
  readonly lane: readonly unknown[];
  readonly kind: readonly unknown[];
  readonly a0: readonly unknown[];
  readonly a1: readonly unknown[];
  readonly a2: readonly unknown[];
  readonly cause: readonly unknown[];
}

export const EventsLine = z.strictObject({
  events: z.strictObject({
    first: count,
    t: z.array(z.unknown()),
    dur: z.array(z.unknown()),
    lane: z.array(z.unknown()),
    kind: z.array(z.unknown()),
    a0: z.array(z.unknown()),
    a1: z.array(z.unknown()),
    a2: z.array(z.unknown()),
    cause: z.array(z.unknown()),
  }),
});

export const EndLine = z.strictObject({
  end: z.strictObject({ lines: count, contentSha256: sha256Hex, sha256: sha256Hex }),
});

/** What a bundle's last line says about it. */
export type BundleEnd = z.output<typeof EndLine>['end'];
