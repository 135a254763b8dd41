// The renderer's only way to the lab: the typed LabApi, reached through Electron's preload
// (window.pcilab, one method per IPC call) or, in browser mode, through POST /api/<method> on the
// page's own origin. Either way a failure comes back as a LabApiError with its code and problems.
// Must not: import runtime code from core, db or electron (types only).

import type { LabApi, LabApiFailure, LabApiMethod, LabApiResponse } from '../../../core/contract/labApi';

export class LabApiError extends Error {
  readonly code: LabApiFailure['code'];
  readonly problems: readonly string[];

  constructor(failure: LabApiFailure) {
    super(failure.message);
    this.name = 'LabApiError';
    this.code = failure.code;
    this.problems = failure.problems ?? [];
  }
}

/** What the preload exposes: each LabApi method, answering with a LabApiResponse. */
type BridgedApi = {
  readonly [M in LabApiMethod]: (...args: Parameters<LabApi[M]>) => Promise<LabApiResponse<Awaited<ReturnType<LabApi[M]>>>>;
};

declare global {
  interface Window {
    readonly pcilab?: BridgedApi;
  }
}

async function callOverHttp(method: LabApiMethod, args: unknown[]): Promise<LabApiResponse<unknown>> {
  const res = await fetch(`/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(args),
  });
  return (await res.json()) as LabApiResponse<unknown>;
}

function unwrap<T>(response: LabApiResponse<T>): T {
  if (response.ok) return response.value;
  throw new LabApiError(response.error);
}

function createClient(): LabApi {
  const bridged = window.pcilab;
  return new Proxy({} as LabApi, {
    get(_target, prop) {
      const method = prop as LabApiMethod;
      return async (...args: unknown[]) => {
        const response =
          bridged !== undefined
            ? await (bridged[method] as (...a: unknown[]) => Promise<LabApiResponse<unknown>>)(...args)
            : await callOverHttp(method, args);
        return unwrap(response);
      };
    },
  });
}

export const lab: LabApi = createClient();
export const hostKind: 'electron' | 'browser' = window.pcilab !== undefined ? 'electron' : 'browser';
