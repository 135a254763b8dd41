// What to show for something thrown: an Error's message (a LabApiError's too), else its text.
// Must not: reach the lab or the DOM (the schema and file helpers use it in tests).

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
