// The vIOMMU front-ends the lab builds, by scenario model name. The type requires one factory per
// model the schema offers, so a model cannot be added to the schema without its front-end.
// Must not: contain front-end logic.

import type { VmConfig } from '../scenario/schema';
import type { ViommuFactory } from './deviceLayers';
import { createIntelIommuViommu, createVirtioIommuViommu } from '../model/x86/x86Viommu';
import { createS390Viommu } from '../model/s390/s390Viommu';
import { createSpaprViommu } from '../model/ppc/spaprViommu';

export const VIOMMU_FACTORIES: Readonly<Record<Exclude<VmConfig['viommu']['model'], 'none'>, ViommuFactory>> = {
  'intel-iommu': createIntelIommuViommu,
  'virtio-iommu': createVirtioIommuViommu,
  's390-zpci': (ctx) => createS390Viommu(ctx),
  'spapr-tce': createSpaprViommu,
};
