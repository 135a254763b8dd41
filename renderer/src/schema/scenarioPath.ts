// Reading and writing one value of a scenario being edited, addressed by path segments
// (["vms", 0, "guest", "kernelParams", "iommu.strict"]): keys may contain dots, so paths are
// segment lists, and dotted strings only for matching the lab's `path: message` problems.
// Unsetting a value removes its key, so the field falls back to its default, and removes objects
// left empty on the way up (never list items: their index is their identity).
// Must not: validate (the lab does) or copy the scenario (edits are in place, for Vue's reactivity).

import type { Segment } from './jsonSchema';

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

export function getAt(root: unknown, segments: readonly Segment[]): unknown {
  let node: unknown = root;
  for (const seg of segments) {
    if (!isContainer(node)) return undefined;
    node = (node as Record<string, unknown>)[String(seg)];
  }
  return node;
}

/** Sets the value, creating objects (or lists, for numeric segments) on the way. */
export function setAt(root: Record<string, unknown>, segments: readonly Segment[], value: unknown): void {
  if (segments.length === 0) throw new Error('setAt needs a path');
  let node: Container = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const key = String(seg);
    let next: unknown = (node as Record<string, unknown>)[key];
    if (!isContainer(next)) {
      (node as Record<string, unknown>)[key] = typeof segments[i + 1] === 'number' ? [] : {};
      // Read it back: in a Vue reactive tree that returns the proxy, so the write below is seen.
      next = (node as Record<string, unknown>)[key];
    }
    node = next as Container;
  }
  (node as Record<string, unknown>)[String(segments[segments.length - 1])] = value;
}

/** Removes the value's key; then removes parent objects that became empty (not lists, not the root). */
export function unsetAt(root: Record<string, unknown>, segments: readonly Segment[]): void {
  const parents: Container[] = [];
  let node: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    if (!isContainer(node)) return;
    parents.push(node);
    node = (node as Record<string, unknown>)[String(segments[i])];
  }
  if (!isContainer(node) || Array.isArray(node)) return;
  Reflect.deleteProperty(node, String(segments[segments.length - 1]));
  for (let i = segments.length - 2; i >= 0; i--) {
    const child = getAt(root, segments.slice(0, i + 1));
    if (!isContainer(child) || Array.isArray(child) || Object.keys(child).length > 0) return;
    const parent = parents[i]!;
    if (Array.isArray(parent)) return;
    Reflect.deleteProperty(parent, String(segments[i]));
  }
}

/** A plain deep copy of scenario data (JSON-shaped: what a scenario file can hold). */
/**
 * An edit at `segments` makes the switches it touches explicit: they leave the scenario's
 * `impliedByVersions` (the lab fills that list when it loads a scenario; one listed there is implied
 * again from the versions, which would undo the user's edit). In place.
 */
export function markExplicit(root: Record<string, unknown>, segments: readonly Segment[]): void {
  const list = root['impliedByVersions'];
  if (!Array.isArray(list)) return;
  const path = segments.join('.');
  const kept = list.filter((p) => typeof p !== 'string' || !(p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`)));
  if (kept.length !== list.length) root['impliedByVersions'] = kept;
}

export function cloneScenario<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? {})) as T;
}

/** A name not yet in `taken`: `${prefix}${n}` with the smallest n >= 0. */
export function freshName(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  for (let n = 0; ; n++) if (!used.has(`${prefix}${n}`)) return `${prefix}${n}`;
}
