import { describe, expect, it } from 'vitest';
import { findPreset } from '../scenario/presets';
import { presetPlan } from './presetPlan';

describe('presetPlan', () => {
  it('answers a preset claim the schema refuses with path: message lines, not a thrown error', () => {
    const preset = findPreset('x86-viommu-nvme')!;
    const bad = {
      ...preset,
      claims: [
        ...(preset.claims ?? []),
        { id: 'x', text: 't', source: 's'.repeat(5000), metric: 'vfio.entriesPeak', op: '==' as const, value: 1 },
      ],
    };
    const planned = presetPlan(bad);
    expect(planned.ok).toBe(false);
    if (planned.ok) return;
    expect(planned.problems.length).toBeGreaterThan(0);
    for (const p of planned.problems) expect(p).toMatch(new RegExp(`^claims\\.${preset.claims!.length}\\.source: `));
  });
});
