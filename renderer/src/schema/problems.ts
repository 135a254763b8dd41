// The lab's validation problems (`path: message`, one per problem) placed on the editor's fields:
// a field takes the problems at its exact path, a JSON field also those below it (shown with the
// rest of the path), and whatever no field on screen takes is listed at the top of the form.
// Must not: rewrite a message (users must see the schema's own words).

export interface Problem {
  /** Dotted path ("vms.0.vcpus"), or "" when the problem has none ("(root)", "(scenario)"). */
  readonly path: string;
  readonly message: string;
  /** The line as the lab sent it. */
  readonly text: string;
}

const SET_PREFIX = /^--set /;

export function parseProblem(text: string): Problem {
  const sep = text.indexOf(': ');
  if (sep < 0) return { path: '', message: text, text };
  const rawPath = text.slice(0, sep).replace(SET_PREFIX, '');
  const path = rawPath.startsWith('(') ? '' : rawPath;
  return { path, message: text.slice(sep + 2), text };
}

export interface FieldClaim {
  readonly path: string;
  /** Takes problems below the path too (JSON-edited values, list editors). */
  readonly below: boolean;
}

export function claims(claim: FieldClaim, p: Problem): boolean {
  if (p.path === '') return false;
  return p.path === claim.path || (claim.below && p.path.startsWith(`${claim.path}.`));
}

/** The messages a field shows: its own, then those below it prefixed with the rest of the path. */
export function messagesFor(claim: FieldClaim, problems: readonly Problem[]): string[] {
  return problems
    .filter((p) => claims(claim, p))
    .map((p) => (p.path === claim.path ? p.message : `${p.path.slice(claim.path.length + 1)}: ${p.message}`));
}

/** Problems no field on screen takes. */
export function unplaced(problems: readonly Problem[], fields: Iterable<FieldClaim>): Problem[] {
  const list = [...fields];
  return problems.filter((p) => !list.some((f) => claims(f, p)));
}

/** How many problems fall under a section's path prefixes (for the badge on its tab). */
export function countUnder(problems: readonly Problem[], prefixes: readonly string[]): number {
  return problems.filter((p) => prefixes.some((x) => p.path === x || p.path.startsWith(`${x}.`))).length;
}
