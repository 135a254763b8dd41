// Exports of a stored run (Perfetto trace, CSV, JSON, a portable run bundle) and how a host
// delivers them. Plain data shapes only.
// Must not: import anything.

export type ExportFormat = 'perfetto' | 'csv' | 'json' | 'bundle';

/**
 * The desktop app saves through a file dialog; the browser host answers with a same-origin download
 * URL (GET, valid for a few minutes) that the renderer opens to start the download.
 */
export type ExportResult =
  | { readonly kind: 'saved'; readonly path: string; readonly bytes: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'download'; readonly url: string; readonly fileName: string };
