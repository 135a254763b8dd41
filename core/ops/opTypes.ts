// The shape of an ops-script step (SPEC 8): an op is a named call against one modelled layer,
// with zod-validated arguments, that returns {ok, errno, ret} and how long it took. Layers are
// created on first use inside one OpsEnvironment per run and share the host process (one
// locked-memory budget).
// Guest-side ops (dma.*) reach the guest through `guest()`, typed structurally below so this file
// does not import the stack builder (which imports this file: a cycle).
// Must not: import any layer model (each layer's ops file does); the guest types are type-only.

import type { z } from 'zod';
import type { Scenario, VmConfig } from '../scenario/schema';
import type { CostTable } from '../sim/costTable';
import type { FaultInjector } from '../sim/faultInjector';
import type { HostProcess } from '../model/host/hostProcess';
import type { IommuGeometry } from '../model/host/hostIommu';
import type { MetricMap } from '../sim/metricSink';
import type { GuestDmaOps } from '../model/guestDma/guestDmaOps';
import type { DmaDevice } from '../model/guestDma/iommuDma';
import type { VcpuSet } from '../model/guestDma/vcpuSet';
import type { Simulation } from '../sim/simulation';

/** A layer instance an op works on (a VFIO container, an IOAS, a TCE container, an IOVA tree). */
export interface OpsLayerInstance {
  /** Timeline lane of the instance, e.g. "vfio.container0". */
  readonly laneName: string;
  collectMetrics(into: MetricMap): void;
  /** Deterministic view of the whole state, to prove a failed call changed nothing. */
  snapshot(): unknown;
  /** Broken invariants, one sentence each; empty when the state is consistent. */
  checkInvariants(): string[];
}

/** One scenario device as the guest sees it: its VM's vCPUs and the DMA API in front of it. */
export interface OpsGuestDevice {
  readonly vm: { readonly config: VmConfig; readonly vcpus: VcpuSet };
  readonly device: { readonly dev: DmaDevice; readonly dma: GuestDmaOps };
}

/** The guest side of a run (the stack builder's Stack satisfies `device`), at the current step. */
export interface OpsGuest {
  /** Simulated time the current step starts at, ns. */
  readonly nowNs: number;
  /** The device called `name`, or undefined when the scenario has none. */
  device(name: string): OpsGuestDevice | undefined;
}

export interface OpsEnvironment {
  readonly scenario: Scenario;
  readonly costs: CostTable;
  readonly process: HostProcess;
  readonly faults: FaultInjector;
  /** The host IOMMU geometry devices attach with (arch default, scenario overrides applied). */
  readonly geometry: IommuGeometry;
  /** The instance registered under `key`, created with `create` on first use. */
  instance<T extends OpsLayerInstance>(key: string, create: () => T): T;
  instances(): readonly OpsLayerInstance[];
  /** The guest (SPEC 8 dma.* ops), built on first call; absent where only host layers exist (unit tests). */
  readonly guest?: () => OpsGuest;
  /** The run's simulation, so layers with timed behaviour (EEH recovery) share the run's clock and timeline. */
  readonly sim?: Simulation;
}

export interface OpOutcome {
  readonly ok: boolean;
  /** Symbolic error (EINVAL, H_PARAMETER, IOVA_ERR_OVERLAP...) or null on success. */
  readonly errno: string | null;
  /** The call's output; numbers where exact, hex strings above 2^53. */
  readonly ret: unknown;
  /** Simulated time the call took, ns. */
  readonly costNs: number;
  /** Lane of the instance the call ran on. */
  readonly lane: string;
}

export interface OpDefinition<A = unknown> {
  readonly name: string;
  /** Layer family, for messages and the op list (vfio, iommufd, spapr, iovaTree, ...). */
  readonly layer: string;
  readonly summary: string;
  readonly args: z.ZodType<A>;
  readonly run: (env: OpsEnvironment, args: A) => OpOutcome;
}

/** Erases the argument type so definitions of different ops fit one list. */
export function defineOp<A>(def: OpDefinition<A>): OpDefinition {
  return def as unknown as OpDefinition;
}
