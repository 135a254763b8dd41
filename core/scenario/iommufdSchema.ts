// Scenario options of the iommufd backend (host.iommufd).
// Must not: hold options of other backends.

import { z } from 'zod';

export const IommufdHostSchema = z.strictObject({
  dmaWindows: z
    .boolean()
    .default(false)
    .meta({ description: 'Enable the DMA-window extension proposed in reference 001 (IOAS windows; off in Linux today).' }),
});
