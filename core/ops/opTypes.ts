// The shape of an ops-script step (SPEC 8): an op is a named call against one modelled layer,
// with zod-validated arguments, that returns {ok, errno, ret} and how long it took. Layers are
// created on first use inside one OpsEnvironment per run and share the host process (one
// locked-memory budget).
// Must not: import any layer model (each layer's ops file does).

import type { z } from 'zod';
import type { Scenario } from '../scenario/schema';
import type { CostTable } from '../sim/costTable';
import type { FaultInjector } from '../sim/faultInjector';
import type { HostProcess } from '../model/hostProcess';
import type { IommuGeometry } from '../model/hostIommu';
import type { MetricMap } from '../run/metricSink';

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
