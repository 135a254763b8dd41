// The vIOMMU front-ends the lab can build, by scenario model name. A model missing here is refused
// when the scenario is validated, with the layer that will bring it.
// Must not: contain front-end logic.

import type { ViommuRegistry } from './deviceLayers';
import { createIntelIommuViommu, createVirtioIommuViommu } from '../model/x86/x86Viommu';
import { createS390Viommu } from '../model/s390/s390Viommu';
import { createSpaprViommu } from '../model/ppc/spaprViommu';

export const VIOMMU_FACTORIES: ViommuRegistry = {
  'intel-iommu': createIntelIommuViommu,
  'virtio-iommu': createVirtioIommuViommu,
  's390-zpci': (ctx) => createS390Viommu(ctx),
  'spapr-tce': createSpaprViommu,
};

const PLANNED: Record<string, string> = {
  's390-zpci': 'the s390 zPCI front-end (issue 4)',
  'spapr-tce': 'the sPAPR TCE guest (issue 5)',
};

/** Why a VM's vIOMMU model cannot run, or null. */
export function viommuProblem(model: string): string | null {
  if (model === 'none' || VIOMMU_FACTORIES[model as keyof ViommuRegistry] !== undefined) return null;
  return `vIOMMU "${model}" needs ${PLANNED[model] ?? 'a front-end'}, which is not built yet`;
}
