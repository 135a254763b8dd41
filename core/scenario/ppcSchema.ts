// Scenario options of the PowerPC side: the sPAPR vIOMMU (vms[].viommu.spapr) and EEH (vms[].eeh).
// Must not: hold options of other architectures.

import { z } from 'zod';

export const SpaprViommuSchema = z.strictObject({});

export const EehSchema = z.strictObject({});
