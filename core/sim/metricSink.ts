// How model objects report metrics into a run's flat metric map: counts add up across instances
// (two containers' ioctls), peaks take the maximum.
// Must not: name metrics (the owners do; run/metricCatalog.ts documents them).

export type MetricMap = Record<string, number>;

export function addMetric(into: MetricMap, name: string, value: number): void {
  into[name] = (into[name] ?? 0) + value;
}

export function maxMetric(into: MetricMap, name: string, value: number): void {
  const prev = into[name];
  into[name] = prev === undefined || value > prev ? value : prev;
}
