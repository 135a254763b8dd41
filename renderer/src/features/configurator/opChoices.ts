// The ops step editor's choices, from the lab catalog's op list: op names grouped by layer (in
// registry order) for the name picker, and what a step keeps of its arguments when its op changes
// (the arguments the new op also takes, so vfio.map -> vfio.unmap keeps iova and size).
// Must not: validate arguments (the lab does, against the op's own schema).

import type { OpInfo } from '../../../../core/contract/catalog';

export interface OpGroup {
  readonly layer: string;
  readonly ops: readonly OpInfo[];
}

export function groupOpsByLayer(ops: readonly OpInfo[]): OpGroup[] {
  const groups = new Map<string, OpInfo[]>();
  for (const op of ops) {
    const list = groups.get(op.layer);
    if (list === undefined) groups.set(op.layer, [op]);
    else list.push(op);
  }
  return [...groups].map(([layer, list]) => ({ layer, ops: list }));
}

/** The arguments of `args` the op described by `argsSchema` also takes; everything when its schema names none. */
export function argsForOp(args: unknown, argsSchema: unknown): Record<string, unknown> {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return {};
  const properties = (argsSchema as { properties?: Record<string, unknown> } | null)?.properties;
  if (properties === undefined) return { ...(args as Record<string, unknown>) };
  return Object.fromEntries(Object.entries(args).filter(([key]) => key in properties));
}
