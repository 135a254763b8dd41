// The op list as the lab catalog serves it: each op's name, layer, one-line summary and the JSON
// Schema of its arguments (derived from the op's zod schema, the one source), so the configurator
// can offer op names and argument fields without a copy of the registry.
// Must not: run ops or validate steps (the loader does, with the zod schemas themselves).

import { z } from 'zod';
import type { OpInfo } from '../contract/catalog';
import { OPS } from './opRegistry';

export function opCatalog(): OpInfo[] {
  return [...OPS.values()].map((op) => {
    const argsSchema = z.toJSONSchema(op.args, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete argsSchema['$schema'];
    return { name: op.name, layer: op.layer, summary: op.summary, argsSchema };
  });
}
