// The single entry for a call arriving from outside the process (IPC or HTTP): checks that the
// method exists, validates its arguments with LAB_API_ARGS, calls the service and wraps the
// outcome in a LabApiResponse. Both hosts use this, so validation cannot differ between them.
// Must not: know about a transport.

import { LAB_API_ARGS } from '../../core/contract/apiSchemas';
import { LAB_API_METHODS, type LabApi, type LabApiMethod, type LabApiResponse } from '../../core/contract/labApi';
import { formatIssues } from '../../core/scenario/loadScenario';
import { toFailure } from './labError';

export function isLabApiMethod(name: string): name is LabApiMethod {
  return (LAB_API_METHODS as readonly string[]).includes(name);
}

export async function dispatchLabCall(service: LabApi, method: string, args: unknown): Promise<LabApiResponse<unknown>> {
  if (!isLabApiMethod(method)) {
    return { ok: false, error: { code: 'invalid-argument', message: `unknown method "${method}"` } };
  }
  const parsed = LAB_API_ARGS[method].safeParse(args);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues).map((p) => `${method} arguments ${p}`);
    return { ok: false, error: { code: 'invalid-argument', message: problems.join('; '), problems } };
  }
  try {
    const fn = service[method] as (...a: unknown[]) => Promise<unknown>;
    const value = await fn.apply(service, parsed.data as unknown[]);
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: toFailure(err) };
  }
}
