// Every op an ops script may call, by name (listed with their arguments in
// docs/model.md#ops-scripts). A name that is not here is refused when the scenario is validated,
// with the list of ops.
// Must not: define ops (each layer's *Ops.ts does).

import type { OpDefinition } from './opTypes';
import { VFIO_OPS } from './vfioOps';
import { SPAPR_OPS } from './spaprOps';
import { IOVA_TREE_OPS } from './iovaTreeOps';
import { IOMMUFD_OPS } from './iommufdOps';
import { DMA_OPS } from './dmaOps';
import { EEH_OPS } from './eehOps';
import { HCALL_OPS } from './hcallOps';
import { RTAS_DDW_OPS } from './rtasDdwOps';

const BUILT: readonly (readonly OpDefinition[])[] = [
  VFIO_OPS,
  IOMMUFD_OPS,
  SPAPR_OPS,
  IOVA_TREE_OPS,
  DMA_OPS,
  EEH_OPS,
  HCALL_OPS,
  RTAS_DDW_OPS,
];

export const OPS: ReadonlyMap<string, OpDefinition> = new Map(BUILT.flat().map((op) => [op.name, op]));

/** Why `name` cannot be used, or null when it is a built op. */
export function opProblem(name: string): string | null {
  if (OPS.has(name)) return null;
  const known = [...OPS.keys()].sort();
  return `unknown op "${name}"${known.length > 0 ? `; ops: ${known.join(', ')}` : ''}`;
}
