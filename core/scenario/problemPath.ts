// How a problem is written: `path: message` on one line, the path in dotted segments ("(root)" for
// the whole input). Every problem the loader, the checks and the API report goes through here.
// Must not: decide what is a problem.

import type { z } from 'zod';

/**
 * Formats zod issues as one `path: message` line each, under `prefix` (the root is shown as
 * "(root)" when there is no prefix). A segment the user wrote that could break the form (a key with
 * a space, a colon, a quote or a line break) is written as a JSON string; a message is kept on one line.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  return issues.map((i) => `${pathText([...prefix, ...i.path])}: ${oneLine(i.message)}`);
}

const PLAIN_SEGMENT = /^[^\s:"'\\]+$/;

/** A problem's path: segments joined with dots, "(root)" for the empty path. */
export function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((seg) => (typeof seg === 'string' && !PLAIN_SEGMENT.test(seg) ? JSON.stringify(seg) : String(seg))).join('.');
}

function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ');
}
