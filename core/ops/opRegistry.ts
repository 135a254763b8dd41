// Every op an ops script may call, by name. Layers add their list here as they are built; SPEC 8
// op names whose layer is not built yet are refused with a message that says so, never accepted.
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

/** SPEC 8 op families whose layers are not built yet, with the layer that will bring them. */
const PLANNED_FAMILIES: readonly { readonly prefix: string; readonly layer: string }[] = [
  { prefix: 'vfio.', layer: 'VFIO type1 (issue 3)' },
  { prefix: 'iommufd.', layer: 'iommufd IOAS (issue 3)' },
  { prefix: 'spapr.', layer: 'VFIO SPAPR TCE (issue 3)' },
  { prefix: 'iovaTree.', layer: "QEMU's IOVA tree (issue 3)" },
  { prefix: 'hcall.', layer: 'the sPAPR guest (hypercalls, issue 5)' },
  { prefix: 'rtas.', layer: 'the sPAPR guest (RTAS, issue 5)' },
  { prefix: 'eeh.', layer: 'EEH (issue 5)' },
  { prefix: 'mmio.', layer: 'device MMIO under EEH (issue 5)' },
  { prefix: 'dma.', layer: 'the guest DMA API (issue 4)' },
];

/** Why `name` cannot be used, or null when it is a built op. */
export function opProblem(name: string): string | null {
  if (OPS.has(name)) return null;
  const planned = PLANNED_FAMILIES.find((f) => name.startsWith(f.prefix));
  if (planned !== undefined && ![...OPS.keys()].some((k) => k.startsWith(planned.prefix))) {
    return `op "${name}" belongs to ${planned.layer}, which is not built yet`;
  }
  const known = [...OPS.keys()].sort();
  return `unknown op "${name}"${known.length > 0 ? `; ops: ${known.join(', ')}` : ''}`;
}
