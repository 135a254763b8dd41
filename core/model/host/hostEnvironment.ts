// One run's OpsEnvironment: the host process built from the scenario, the host IOMMU geometry,
// the fault injector, and the layer instances ops create on first use.
// Must not: know any layer type; instances register themselves through `instance()`.

import type { Scenario } from '../../scenario/schema';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { HostProcess } from './hostProcess';
import { defaultIommuGeometry, type IommuGeometry } from './hostIommu';
import type { OpsEnvironment, OpsLayerInstance } from '../../ops/opTypes';

/** The host IOMMU a device attaches with: the arch default with the scenario's overrides. */
export function hostIommuGeometry(scenario: Scenario): IommuGeometry {
  const base = defaultIommuGeometry(scenario.host.arch);
  const o = scenario.host.iommu;
  return {
    apertureStart: base.apertureStart,
    apertureLast: o.apertureLast ?? base.apertureLast,
    pageSizes: o.pageSizes ?? base.pageSizes,
    reserved: o.reservedRegions ?? base.reserved,
  };
}

export function createOpsEnvironment(scenario: Scenario, costs: CostTable, faults = new FaultInjector()): OpsEnvironment {
  const process = new HostProcess({
    memlockBytes: scenario.host.vfio.memlockBytes,
    capIpcLock: scenario.host.vfio.capIpcLock,
    backing: scenario.host.memoryBacking,
    userAddressEnd: 2 ** 47,
  });
  const geometry = hostIommuGeometry(scenario);
  const registry = new Map<string, OpsLayerInstance>();
  return {
    scenario,
    costs,
    process,
    faults,
    geometry,
    instance<T extends OpsLayerInstance>(key: string, create: () => T): T {
      let inst = registry.get(key);
      if (inst === undefined) {
        inst = create();
        registry.set(key, inst);
      }
      return inst as T;
    },
    instances: () => [...registry.values()],
  };
}
