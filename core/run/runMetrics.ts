// Names, units and meanings of the metrics a run reports about the simulation itself (events,
// timeline, simulated and wall-clock time), for the catalog.
// Must not: compute metrics (scenarioRun.ts does; the host that runs it adds sim.wallMs).

import { metric, type MetricInfo } from '../contract/catalog';

export const RUN_METRICS: readonly MetricInfo[] = [
  metric('sim.events', 'events', 'simulation events processed'),
  metric('sim.timelineEvents', 'events', 'timeline events recorded'),
  metric('sim.timelineDropped', 'events', 'timeline events not stored because the recorder cap was reached'),
  metric('sim.simulatedMs', 'ms', 'simulated time covered by the run'),
  metric('sim.wallMs', 'ms', 'wall-clock time the simulation took (host-measured, not deterministic)'),
];

/** Metrics the host measures (wall time): they differ run to run, so comparisons and golden files ignore their spread. */
export const HOST_MEASURED_METRIC = /(^|:)sim\.wallMs$/;
