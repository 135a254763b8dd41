// The checks a schema-valid scenario must also pass before it can run, because they depend on what
// the simulator has built: every ops step names a built op with valid arguments, every fault kind
// has a handler and fits the scenario, every vIOMMU model has a front-end, EEH placement is
// consistent, and QEMU would start the intel-iommu configuration. Hosts load scenarios through
// loadRunnableScenario, so a scenario the lab accepts is one it can run.
// Must not: parse text or apply overrides (core/scenario/loadScenario.ts does).

import { formatIssues, loadScenario, validateScenario, type LoadResult } from '../scenario/loadScenario';
import type { Scenario } from '../scenario/schema';
import { OPS, opProblem } from '../ops/opRegistry';
import { faultScenarioProblem } from '../faults/faultRegistry';
import { eehPlacementProblems } from '../model/ppc/eeh/eehPlacement';
import { intelIommuAssignmentProblem } from '../model/x86/intelIommuGuest';

/** Every problem the registries and model checks find in a schema-valid scenario. */
export function checkScenario(scenario: Scenario): string[] {
  const problems: string[] = [];
  const arch = scenario.host.arch;
  if (arch === 'ppc64le') for (const p of eehPlacementProblems(scenario)) problems.push(`${p.path}: ${p.message}`);
  scenario.faults.forEach((f, i) => {
    const misfit = faultScenarioProblem(scenario, f);
    if (misfit !== null) problems.push(`faults.${i}.${misfit.field}: ${misfit.message}`);
  });
  scenario.vms.forEach((vm, i) => {
    // On a bare-metal host intel-iommu is the physical VT-d: no QEMU, nothing assigned.
    const assignment = scenario.host.hypervisor === 'bare-metal' ? null : intelIommuAssignmentProblem(vm, vm.devices);
    if (assignment !== null) problems.push(`vms.${i}.viommu.intel.cachingMode: QEMU refuses to start: "${assignment}"`);
  });
  problems.push(...opsProblems(scenario));
  return problems;
}

/** Each ops step names a built op and passes its arguments' schema (checked here, not in the JSON Schema). */
function opsProblems(scenario: Scenario): string[] {
  if (scenario.workload.kind !== 'ops') return [];
  const problems: string[] = [];
  scenario.workload.steps.forEach((step, i) => {
    const where = `workload.steps.${i}`;
    const problem = opProblem(step.op);
    if (problem !== null) {
      problems.push(`${where}.op: ${problem}`);
      return;
    }
    if (step.op.startsWith('vfio.') && scenario.host.vfio.backend.startsWith('spapr')) {
      problems.push(
        `${where}.op: ${step.op} needs a type1 or iommufd backend; host.vfio.backend is ${scenario.host.vfio.backend} (use the spapr.* ops)`,
      );
      return;
    }

    const parsed = OPS.get(step.op)!.args.safeParse(step.args);
    if (!parsed.success) {
      problems.push(...formatIssues(parsed.error.issues, ['workload', 'steps', i, 'args']));
      return;
    }
    for (const key of Object.keys(step.repeat?.add ?? {})) {
      if (typeof (parsed.data as Record<string, unknown>)[key] !== 'number') {
        problems.push(`${where}.repeat.add.${key}: "${key}" is not a numeric argument of ${step.op}`);
      }
    }
  });
  return problems;
}

/** loadScenario with every check a run needs. */
export function loadRunnableScenario(
  source: { value?: unknown; text?: string; origin?: string },
  overrides: readonly string[] = [],
  seed?: number,
): LoadResult {
  return loadScenario(source, overrides, seed, checkScenario);
}

/** validateScenario with every check a run needs. */
export function validateRunnableScenario(input: unknown): LoadResult {
  return validateScenario(input, checkScenario);
}
