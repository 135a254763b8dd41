// How a preset states a claim from a reference thread so the run can check it: a metric (or a
// ratio of two metrics) compared with an expected value, with a tolerance. The run reports what it
// measured and whether the claim holds; nothing here is ever written in as a result.
// Must not: evaluate claims (see run/claims.ts).

import { z } from 'zod';

export const ClaimSpecSchema = z.strictObject({
  id: z.string().min(1).max(64),
  text: z.string().min(1).max(500),
  source: z.string().min(1).max(200).meta({ description: 'Reference thread the claim comes from.' }),
  metric: z.string().min(1).meta({ description: 'Metric measured (numerator of a ratio).' }),
  per: z.string().min(1).optional().meta({ description: 'Denominator metric: the claim is about metric / per.' }),
  op: z.enum(['>', '>=', '<', '<=', '==', 'between']),
  value: z.number(),
  valueMax: z.number().optional().meta({ description: 'Upper bound for op "between".' }),
  tolerance: z.number().nonnegative().default(0).meta({ description: 'Absolute slack allowed on the comparison.' }),
});

export type ClaimSpec = z.output<typeof ClaimSpecSchema>;
