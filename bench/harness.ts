// The bench harness: runs measurement tasks with tinybench (warmup, repeated samples), reports
// per-item throughput (a task does `items` units of work per call), and prints one table.
// Figures are for docs/benchmarks.md; nothing here is a pass/fail test.

import { Bench } from 'tinybench';

export interface Measure {
  readonly name: string;
  /** Units of work per call of `fn` (events, map+unmap pairs, lookups...). */
  readonly items: number;
  readonly unit: string;
  readonly fn: () => unknown;
  readonly setup?: () => void;
}

export interface Measured {
  readonly name: string;
  readonly unit: string;
  /** Units of work per wall second (median of samples). */
  readonly perSecond: number;
  /** Wall nanoseconds per unit of work (median). */
  readonly nsPerItem: number;
  /** Relative margin of error of the mean, %. */
  readonly rmePct: number;
  readonly samples: number;
}

export async function measure(tasks: readonly Measure[], timeMs = 1500): Promise<Measured[]> {
  const bench = new Bench({ time: timeMs, warmupTime: 300, iterations: 5 });
  for (const t of tasks) bench.add(t.name, t.fn, t.setup === undefined ? {} : { beforeAll: t.setup });
  await bench.run();
  return bench.tasks.map((task, i) => {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`bench ${task.name} did not complete: ${r.state}`);
    const t = tasks[i]!;
    const medianMs = r.latency.p50;
    return {
      name: t.name,
      unit: t.unit,
      perSecond: (t.items / medianMs) * 1000,
      nsPerItem: (medianMs * 1e6) / t.items,
      rmePct: r.latency.rme,
      samples: r.latency.samplesCount,
    };
  });
}

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
