// Downloads of the browser host: exportRun there answers with a same-origin URL /download/<token>;
// the token names (run, format, file name) for a few minutes and works once, so a URL seen in a log
// or history cannot fetch a run later. The bridge streams the export when the URL is fetched.
// Must not: write anything itself (the service's writeExport does, into the HTTP response).

import { randomBytes } from 'node:crypto';
import type { ExportFormat, ExportResult } from '../../core/contract/export';
import type { ExportHandler, ExportRequest } from '../service/runExport';

export const DOWNLOAD_PREFIX = '/download/';
export const DOWNLOAD_TTL_MS = 5 * 60_000;

export interface PendingDownload {
  readonly runId: number;
  readonly format: ExportFormat;
  readonly fileName: string;
}

export class DownloadTokens {
  private readonly pending = new Map<string, PendingDownload & { readonly expiresMs: number }>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  offer(request: ExportRequest): ExportResult {
    this.dropExpired();
    const token = randomBytes(18).toString('base64url');
    this.pending.set(token, {
      runId: request.runId,
      format: request.format,
      fileName: request.fileName,
      expiresMs: this.nowMs() + DOWNLOAD_TTL_MS,
    });
    return { kind: 'download', url: `${DOWNLOAD_PREFIX}${token}`, fileName: request.fileName };
  }

  /** The download a token stands for, once; undefined when unknown, used or expired. */
  take(token: string): PendingDownload | undefined {
    const entry = this.pending.get(token);
    this.pending.delete(token);
    if (entry === undefined || entry.expiresMs < this.nowMs()) return undefined;
    return { runId: entry.runId, format: entry.format, fileName: entry.fileName };
  }

  /** The browser host's exportRun: hand out a URL; the bridge writes when it is fetched. */
  readonly handler: ExportHandler = (request) => Promise.resolve(this.offer(request));

  private dropExpired(): void {
    const now = this.nowMs();
    for (const [token, entry] of this.pending) if (entry.expiresMs < now) this.pending.delete(token);
  }
}
