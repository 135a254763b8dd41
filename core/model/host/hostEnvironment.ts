// One run's host: the QEMU process built from the scenario (one locked-memory account), the host
// IOMMU geometry devices attach with, the fault injector, and the layer instances (containers,
// IOAS, TCE containers, EEH layers) created on first use. The stack builder, ops scripts and
// the guest's front-ends all reach the host through it, so they share one process and one budget.
// Must not: know any layer type; instances register themselves through `instance()`.

import type { Scenario } from '../../scenario/schema';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import type { Simulation } from '../../sim/simulation';
import type { LayerInstance } from '../base/layerInstance';
import { HostProcess } from './hostProcess';
import { defaultIommuGeometry, type IommuGeometry } from './hostIommu';

export interface HostEnvironment {
  readonly scenario: Scenario;
  readonly costs: CostTable;
  readonly process: HostProcess;
  readonly faults: FaultInjector;
  /** The host IOMMU geometry devices attach with (arch default, scenario overrides applied). */
  readonly geometry: IommuGeometry;
  /** The instance registered under `key`, created with `create` on first use. */
  instance<T extends LayerInstance>(key: string, create: () => T): T;
  instances(): readonly LayerInstance[];
  /**
   * Layers that charge the host's limits without being registered instances (a sPAPR machine's TCE
   * containers, owned by its PHBs): the run's limits answer reads them with the instances.
   */
  trackLimitAccount(layer: LayerInstance): void;
  limitAccountLayers(): readonly LayerInstance[];
  /** The run's simulation, so layers with timed behaviour (EEH recovery) share the run's clock and timeline. */
  readonly sim?: Simulation;
}

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

export function createHostEnvironment(scenario: Scenario, costs: CostTable, faults = new FaultInjector()): HostEnvironment {
  const process = new HostProcess({
    memlockBytes: scenario.host.vfio.memlockBytes,
    capIpcLock: scenario.host.vfio.capIpcLock,
    backing: scenario.host.memoryBacking,
    userAddressEnd: 2 ** 47,
  });
  const geometry = hostIommuGeometry(scenario);
  const registry = new Map<string, LayerInstance>();
  const tracked: LayerInstance[] = [];
  return {
    scenario,
    costs,
    process,
    faults,
    geometry,
    instance<T extends LayerInstance>(key: string, create: () => T): T {
      let inst = registry.get(key);
      if (inst === undefined) {
        inst = create();
        registry.set(key, inst);
      }
      return inst as T;
    },
    instances: () => [...registry.values()],
    trackLimitAccount: (layer) => void tracked.push(layer),
    limitAccountLayers: () => tracked,
  };
}
