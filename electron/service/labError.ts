// Errors the service reports to clients with a code (and, for bad input, every problem by path).
// Anything else that escapes the service is an internal error.
// Must not: carry stack traces to clients.

import type { LabApiFailure } from '../../core/contract/labApi';

export class LabError extends Error {
  constructor(
    readonly code: LabApiFailure['code'],
    message: string,
    readonly problems?: readonly string[],
  ) {
    super(message);
    this.name = 'LabError';
  }

  toFailure(): LabApiFailure {
    return this.problems === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, problems: this.problems };
  }
}

export function toFailure(err: unknown): LabApiFailure {
  if (err instanceof LabError) return err.toFailure();
  return { code: 'internal', message: errorMessage(err) };
}

/** The message of something thrown: an Error's message, else its text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
