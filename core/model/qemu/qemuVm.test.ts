// QemuVm.trap with and without a guest lock held across the trap (virtio-iommu's request_lock):
// without one, only QEMU's work is serialized (the big lock); with one, whole traps are, exits
// included, and a wait for the big lock lengthens the guest lock's hold.
import { describe, expect, it } from 'vitest';
import { resolveCostTable } from '../../sim/costTable';
import { GapFillingLock } from '../../sim/gapFillingLock';
import { TimelineRecorder } from '../../sim/timelineRecorder';
import { DmaCall } from '../base/dmaCall';
import { QemuVm, type TrapHandler } from './qemuVm';

const WORK_NS = 1000;
const handler: TrapHandler = { serve: () => WORK_NS };

function rig() {
  const costs = resolveCostTable({ vmExitNs: 800, qemuInvalidationNs: 2000 });
  const clock = { now: 0 };
  const qemu = new QemuVm(costs, new TimelineRecorder(), { name: 'vm0', nested: false, clock });
  return { qemu, clock, what: qemu.trapName('test'), roundTrip: 800 + 2000 + WORK_NS, work: 2000 + WORK_NS };
}

describe('QemuVm.trap', () => {
  it('without a guest lock two vCPUs trapping at once overlap their exits: only the big lock serializes', () => {
    const { qemu, what, roundTrip, work } = rig();
    const a = new DmaCall(0).begin(0);
    const b = new DmaCall(1).begin(0);
    qemu.trap(a, what, handler, 0, 0);
    qemu.trap(b, what, handler, 0, 0);
    expect(a.t).toBe(roundTrip);
    expect(b.t).toBe(roundTrip + work);
  });

  it('with a guest lock the second trap starts after the first one has re-entered', () => {
    const { qemu, clock, what, roundTrip } = rig();
    const lock = new GapFillingLock(clock);
    const a = new DmaCall(0).begin(0);
    const b = new DmaCall(1).begin(0);
    qemu.trap(a, what, handler, 0, 0, lock);
    qemu.trap(b, what, handler, 0, 0, lock);
    expect(a.t).toBe(roundTrip);
    expect(b.t).toBe(2 * roundTrip);
  });

  it('a wait for the big lock (a trap outside the guest lock) holds the guest lock longer', () => {
    const { qemu, clock, what, roundTrip, work } = rig();
    const lock = new GapFillingLock(clock);
    const other = new DmaCall(0).begin(0);
    qemu.trap(other, what, handler, 0, 0);
    const a = new DmaCall(1).begin(0);
    qemu.trap(a, what, handler, 0, 0, lock);
    // a reaches the big lock at exit / 2, when `other` holds it for `work`.
    expect(a.t).toBe(roundTrip + work);
    const b = new DmaCall(2).begin(0);
    qemu.trap(b, what, handler, 0, 0, lock);
    expect(b.t).toBe(a.t + roundTrip);
  });
});
