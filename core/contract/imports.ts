// Importing into the lab from a client: a portable run bundle (the file's bytes as base64) and a real
// trace (ftrace / trace-cmd text or a QEMU -trace log, as text) replayed on a host. Both carry the
// file's content, so their calls may be larger than the others (IMPORT_MAX_ARGS_BYTES; every other
// call keeps API_MAX_ARGS_BYTES): the bounds are checked by the IPC handler and the HTTP bridge
// before anything is parsed, and again by the argument schemas. Plain data shapes and limits only.
// Must not: import anything.

/** Largest call of any other method, as JSON (a valid scenario is far smaller). */
export const API_MAX_ARGS_BYTES = 1024 * 1024;
/** Largest run bundle the app imports (its gzip'd bytes; `pcilab import` reads larger ones). */
export const RUN_BUNDLE_UPLOAD_MAX_BYTES = 24 * 1024 * 1024;
/** Largest trace text the app imports (a gzip'd trace is unpacked by the client first; `pcilab import-trace` reads larger ones). */
export const TRACE_TEXT_MAX_BYTES = 32 * 1024 * 1024;
/** Largest importRunBundle / importTrace call as JSON: base64 of the largest bundle, or the largest trace with its escapes. */
export const IMPORT_MAX_ARGS_BYTES = 40 * 1024 * 1024;

/** The methods whose calls carry a file. */
export const IMPORT_METHODS: readonly string[] = ['importRunBundle', 'importTrace'];

/** The largest call of `method` as JSON. */
export function maxArgsBytesOf(method: string): number {
  return IMPORT_METHODS.includes(method) ? IMPORT_MAX_ARGS_BYTES : API_MAX_ARGS_BYTES;
}

export interface ImportRunBundleRequest {
  /** The file's name, for messages ("run-3.pcilab-run.jsonl.gz"). */
  readonly fileName: string;
  /** The file's bytes, base64. */
  readonly dataBase64: string;
}

/** Imported as a new run, or already in the lab (a duplicate by content hash: the run that has it). */
export interface ImportRunBundleResult {
  readonly kind: 'imported' | 'duplicate';
  readonly runId: number;
  readonly name: string;
  readonly contentHash: string;
}

export interface ImportTraceRequest {
  readonly fileName: string;
  /** The trace's text (ftrace / trace-cmd report, or a QEMU -trace log when it holds no ftrace event line). */
  readonly text: string;
  /** The host to replay on: a preset's scenario or a scenario file's text; neither: s390 KVM with QEMU 7.1. */
  readonly preset?: string;
  readonly scenarioText?: string;
  /** `a.b.c=value` overrides, as `pcilab import-trace --set`. */
  readonly overrides?: readonly string[];
}
