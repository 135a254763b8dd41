// Scenario options of the VFIO SPAPR TCE backend (host.spapr).
// Must not: hold options of other backends.

import { z } from 'zod';

export const SpaprHostSchema = z.strictObject({
  maxWindows: z.number().int().min(1).max(2).default(2).meta({ description: 'DMA windows per container (sPAPR: at most 2).' }),
});
