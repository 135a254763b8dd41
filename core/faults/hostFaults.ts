// Host-side faults (docs/model.md#faults) on a run's stack:
// - memlock-shrink: QEMU's RLIMIT_MEMLOCK is lowered (prlimit): pages already locked stay locked,
//   later VFIO pinning is checked against the new limit (vfio_lock_acct), so maps start failing
//   with ENOMEM once the account is above it.
// - rpcit-out-of-resource: the next RPCITs of an s390 zPCI function answer cc 1 status 16
//   (insufficient resources), whatever the shadow's dma_avail; the guest's driver reacts as it
//   does to the real condition (the 6.7 global-flush retry, or a failed map).
// Must not: change state the fault does not name.

import { S390Viommu } from '../model/s390/s390Viommu';
import type { FaultHandlers } from './faultTypes';
import { PAGE_SIZE } from '../model/base/pages';

export const HOST_FAULT_HANDLERS: Pick<Required<FaultHandlers>, 'memlock-shrink' | 'rpcit-out-of-resource'> = {
  'memlock-shrink': (ctx, fault, cause) => {
    const stack = ctx.stack();
    stack.env.process.setMemlockLimit(fault.bytes);
    const lane = ctx.sim.timeline.defineLane('host.process', 'host');
    const kind = ctx.sim.timeline.defineKind({
      name: 'host.memlock.lowered',
      args: [
        { name: 'limit', format: 'bytes' },
        { name: 'locked', format: 'bytes' },
      ],
    });
    ctx.sim.timeline.record(ctx.sim.now, 0, lane, kind, fault.bytes, stack.env.process.lockedPages * PAGE_SIZE, 0, cause);
  },
  'rpcit-out-of-resource': (ctx, fault) => {
    const stack = ctx.stack();
    let hit = 0;
    for (const vm of stack.vms) {
      for (const d of vm.devices) {
        if (fault.device !== undefined && d.config.name !== fault.device) continue;
        const frontEnd = d.frontEnd;
        if (frontEnd instanceof S390Viommu) {
          frontEnd.zpci.forcedOutOfResource += fault.count;
          hit++;
        }
      }
    }
    if (hit === 0) throw new Error('rpcit-out-of-resource found no s390 zPCI function (the scenario should have been rejected)');
  },
};
