// Exports of a stored run (Perfetto trace JSON, CSV, JSON, a portable run bundle: gzip'd, so its
// chunks are bytes), host-neutral: the chunks of a format,
// a file name to suggest, and writing the chunks into a sink that may ask to wait (a file or HTTP
// stream under backpressure). The desktop app writes into the file its save dialog picked, the
// browser host into a download response, `pcilab export` into a file synchronously.
// Must not: import electron, open dialogs or know about HTTP.

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ExportFormat, ExportResult } from '../../core/contract/export';
import type { LabDatabase } from '../../db/database';
import { csvChunks } from './runExportCsv';
import { jsonChunks } from './runExportJson';
import { perfettoChunks } from './runExportPerfetto';
import { exportSourceOf } from './runExportSource';
import { bundleChunks, type BundleContext } from './runBundleExport';
import { BUNDLE_CONTENT_TYPE, BUNDLE_EXTENSION } from './runBundleFormat';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['perfetto', 'csv', 'json', 'bundle'];

export function isExportFormat(text: string): text is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(text);
}

export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  perfetto: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  bundle: BUNDLE_CONTENT_TYPE,
};

const EXTENSIONS: Readonly<Record<ExportFormat, string>> = {
  perfetto: '.perfetto.json',
  csv: '.csv',
  json: '.json',
  bundle: BUNDLE_EXTENSION,
};

export function exportFileName(run: { readonly id: number; readonly name: string }, format: ExportFormat): string {
  const slug = run.name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `run-${run.id}${slug === '' ? '' : `-${slug}`}${EXTENSIONS[format]}`;
}

/** What an export is written in: text, or bytes (a bundle's gzip members). */
export type ExportChunk = string | Uint8Array;

/**
 * The export's chunks, or undefined when there is no such run. A bundle needs `bundle` (the lab's
 * version, the export time) and iterates one statement while it is written: give it a connection
 * of its own when other calls use `db` meanwhile.
 */
export function exportChunks(
  db: LabDatabase,
  runId: number,
  format: ExportFormat,
  bundle?: BundleContext,
): Iterable<ExportChunk> | undefined {
  if (format === 'bundle') return bundleChunks(db, runId, bundle ?? { labVersion: 'unknown', nowMs: Date.now() });
  const source = exportSourceOf(db, runId);
  if (source === undefined) return undefined;
  switch (format) {
    case 'perfetto':
      return perfettoChunks(source);
    case 'csv':
      return csvChunks(source);
    case 'json':
      return jsonChunks(source);
    default: {
      const never: never = format;
      throw new Error(`unknown export format ${String(never)}`);
    }
  }
}

/** Where an export goes; `write` may return a promise to make the writer wait (backpressure). */
export interface ExportSink {
  write(chunk: ExportChunk): void | Promise<void>;
}

/** A sink over a Node stream (a file, an HTTP response) that waits for 'drain' when its buffer is full. */
export function streamSink(stream: Writable): ExportSink {
  return {
    write(chunk) {
      if (!stream.write(chunk)) return once(stream, 'drain').then(() => undefined);
      return undefined;
    },
  };
}

/** Chunks between two turns of the event loop, so a long export never holds the process for long. */
const CHUNKS_PER_TURN = 16;

/** Writes every chunk, waiting whenever the sink asks; returns the bytes written (UTF-8). */
export async function writeChunks(chunks: Iterable<ExportChunk>, sink: ExportSink): Promise<number> {
  let bytes = 0;
  let sinceTurn = 0;
  for (const chunk of chunks) {
    bytes += Buffer.byteLength(chunk);
    const wait = sink.write(chunk);
    if (wait !== undefined) {
      await wait;
      sinceTurn = 0;
    } else if (++sinceTurn >= CHUNKS_PER_TURN) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sinceTurn = 0;
    }
  }
  return bytes;
}

export interface ExportRequest {
  readonly runId: number;
  readonly format: ExportFormat;
  /** The file name to suggest (run id, name and the format's extension). */
  readonly fileName: string;
}

/**
 * How a host delivers LabApi.exportRun: the desktop app asks where to save and calls `write` with a
 * file sink; the browser host hands out a download URL and writes when it is fetched.
 */
export type ExportHandler = (request: ExportRequest, write: (sink: ExportSink) => Promise<number>) => Promise<ExportResult>;
