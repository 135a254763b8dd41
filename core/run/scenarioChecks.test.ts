import { describe, expect, it } from 'vitest';
import { loadRunnableScenario } from './scenarioChecks';
import { findPreset } from '../scenario/presets';

const ops = (steps: unknown[]): string => `workload=${JSON.stringify({ kind: 'ops', steps })}`;

describe('the checks a runnable scenario passes', () => {
  it("reports an ops step argument rule that spans fields at the step's args path, as path: message", () => {
    const eeh = findPreset('ppc-eeh-guest-pe')!;
    const r = loadRunnableScenario({ value: eeh.scenario }, [ops([{ op: 'rtas.ibm,configure-pe', args: {} }])]);
    expect(r.ok ? [] : r.problems).toEqual(['workload.steps.0.args: give exactly one of pe (guest PE) and device']);
  });

  it('keeps a problem on one line when the user wrote a line break into a key', () => {
    const r = loadRunnableScenario({ value: { name: 'x' } }, [
      ops([{ op: 'vfio.map', args: { iova: 0, size: 4096, vaddr: 0, 'a b\nc': 1 } }]),
    ]);
    expect(r.ok ? [] : r.problems).toEqual(['workload.steps.0.args: Unrecognized key: "a b c"']);
  });
});
