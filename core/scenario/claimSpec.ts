// How a preset states a claim from a reference thread so the run can check it. Either a metric (or
// a ratio of two metrics) compared with an expected value and a tolerance, or what one ops-script
// step returns (its errno, and optionally its output). The run reports what it measured and
// whether the claim holds; nothing here is ever written in as a result.
// Must not: evaluate claims (see run/claims.ts).

import { z } from 'zod';

const common = {
  id: z.string().min(1).max(64),
  text: z.string().min(1).max(500),
  source: z.string().min(1).max(200).meta({ description: 'Reference thread the claim comes from.' }),
  whyNot: z.string().max(1000).optional().meta({
    description: 'When the faithful model does not reproduce the claim: the mechanism that explains the difference (shown only then).',
  }),
};

export const MetricClaimSchema = z.strictObject({
  ...common,
  metric: z.string().min(1).meta({ description: 'Metric measured (numerator of a ratio).' }),
  per: z.string().min(1).optional().meta({ description: 'Denominator metric: the claim is about metric / per.' }),
  op: z.enum(['>', '>=', '<', '<=', '==', 'between']),
  value: z.number(),
  valueMax: z.number().optional().meta({ description: 'Upper bound for op "between".' }),
  tolerance: z.number().nonnegative().default(0).meta({ description: 'Absolute slack allowed on the comparison.' }),
});

export const StepClaimSchema = z.strictObject({
  ...common,
  step: z.number().int().nonnegative().meta({ description: 'Index of the ops-script step the claim is about.' }),
  variant: z.string().min(1).optional().meta({ description: 'The variant whose script the step belongs to (run plans with variants).' }),

  errno: z.string().nullable().meta({ description: 'Expected symbolic error of the step, or null for success.' }),
  ret: z.unknown().optional().meta({ description: 'Expected output of the step (compared as JSON), when given.' }),
});

export const ClaimSpecSchema = z.union([MetricClaimSchema, StepClaimSchema]);

export type MetricClaimSpec = z.output<typeof MetricClaimSchema>;
export type StepClaimSpec = z.output<typeof StepClaimSchema>;
export type ClaimSpec = z.output<typeof ClaimSpecSchema>;
