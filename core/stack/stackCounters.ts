// The stack's sampled counters (docs/model.md#outputs): VFIO entries in use against
// dma_entry_limit, the QEMU process's locked memory against RLIMIT_MEMLOCK, and the devices
// present. Workloads add their own (IOs in flight, IOPS, flush-queue depth).
// Must not: change anything it reads.

import type { Simulation } from '../sim/simulation';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';
import type { Stack } from './stackBuilder';
import { PAGE_SIZE } from '../model/base/pages';

function containersOf(stack: Stack): VfioContainerApi[] {
  const seen = new Set<VfioContainerApi>();
  for (const vm of stack.vms) for (const d of vm.devices) if (d.container !== null) seen.add(d.container);
  return [...seen];
}

export function defineStackCounters(sim: Simulation, stack: Stack, dmaEntryLimit: number): void {
  const containers = containersOf(stack);
  if (containers.length > 0) {
    sim.counters.define(
      'vfio.entries',
      'entries',
      () => {
        let n = 0;
        for (const c of containers) n = Math.max(n, c.entries);
        return n;
      },
      'level',
    );
    sim.counters.define('vfio.entryLimit', 'entries', () => dmaEntryLimit, 'level');
  }
  const process = stack.env.process;
  sim.counters.define('vfio.lockedBytes', 'bytes', () => process.lockedPages * PAGE_SIZE, 'level');
  const limit = (): number => process.memlockLimitBytes ?? Number.NaN;
  if (process.memlockLimitBytes !== null || stack.env.scenario.faults.some((f) => f.kind === 'memlock-shrink')) {
    sim.counters.define('vfio.memlockLimitBytes', 'bytes', limit, 'level');
  }
  const devices = stack.vms.flatMap((vm) => vm.devices);
  sim.counters.define(
    'devices.online',
    'devices',
    () => {
      // Read at every sample: a loop, no array per sample.
      let n = 0;
      for (const d of devices) if (d.lifecycle.accepting) n++;
      return n;
    },
    'level',
  );
}
