// The JSON Schema of the scenario file, derived from the zod schema (the one source), as
// `pcilab schema` prints it and editors use it.
// Must not: be edited by hand; change schema.ts instead.

import { z } from 'zod';
import { ScenarioSchema } from './schema';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'PCI Passthrough Lab scenario', $id: 'https://pcilab.invalid/scenario.schema.json' };
}
