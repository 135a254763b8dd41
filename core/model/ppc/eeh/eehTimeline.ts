// How EEH shows on the run's timeline: one lane per host PE and one per guest PE (group "PE/EEH"),
// and the event kinds recorded on them (state changes, freezes with their serial, the guest's recovery
// steps, recovery and permanent failure). `cause` links a recovery step to the freeze it handles and
// the freeze to the injection or DMA fault that caused it.
// Must not: decide anything; callers record what happened.

import type { DurationNs, SimTimeNs } from '../../../sim/simTime';
import { NO_CAUSE, type TimelineRecorder } from '../../../sim/timelineRecorder';

export const EEH_LANE_GROUP = 'PE/EEH';

export class EehTimeline {
  private readonly stateKind: number;
  private readonly freezeKind: number;
  private readonly stepKind: number;
  private readonly recoveredKind: number;
  private readonly failedKind: number;
  private readonly notifyKind: number;

  constructor(private readonly timeline: TimelineRecorder) {
    this.stateKind = timeline.defineKind({
      name: 'eeh.state',
      args: [
        { name: 'from', format: 'str' },
        { name: 'to', format: 'str' },
      ],
    });
    this.freezeKind = timeline.defineKind({
      name: 'eeh.freeze',
      args: [
        { name: 'serial', format: 'int' },
        { name: 'origin', format: 'str' },
      ],
      failure: true,
    });
    this.stepKind = timeline.defineKind({
      name: 'eeh.step',
      args: [
        { name: 'step', format: 'str' },
        { name: 'result', format: 'str' },
        { name: 'attempt', format: 'int' },
      ],
    });
    this.recoveredKind = timeline.defineKind({ name: 'eeh.recovered', args: [{ name: 'recoveryNs', format: 'ns' }] });
    this.failedKind = timeline.defineKind({
      name: 'eeh.recovery.permanentFailure',
      args: [
        { name: 'freezeCount', format: 'int' },
        { name: 'why', format: 'str' },
      ],
      failure: true,
    });
    this.notifyKind = timeline.defineKind({
      name: 'eeh.notification',
      args: [
        { name: 'serial', format: 'int' },
        { name: 'device', format: 'str' },
        { name: 'merged', format: 'int' },
      ],
    });
  }

  hostPeLane(pe: number): number {
    return this.timeline.defineLane(`pe.${pe}`, EEH_LANE_GROUP);
  }

  guestPeLane(vm: string, guestPe: number): number {
    return this.timeline.defineLane(`${vm}.guestPe.${guestPe}`, EEH_LANE_GROUP);
  }

  state(lane: number, tNs: number, from: string, to: string, cause: number): number {
    const tl = this.timeline;
    return tl.record(tNs as SimTimeNs, 0, lane, this.stateKind, tl.internString(from), tl.internString(to), 0, cause);
  }

  freeze(lane: number, tNs: number, serial: number, origin: string, cause: number): number {
    return this.timeline.record(tNs as SimTimeNs, 0, lane, this.freezeKind, serial, this.timeline.internString(origin), 0, cause);
  }

  step(lane: number, tNs: number, durationNs: number, step: string, result: string, attempt: number, cause: number): number {
    const tl = this.timeline;
    return tl.record(
      tNs as SimTimeNs,
      Math.max(0, durationNs) as DurationNs,
      lane,
      this.stepKind,
      tl.internString(step),
      tl.internString(result),
      attempt,
      cause,
    );
  }

  recovered(lane: number, tNs: number, recoveryNs: number, cause: number): number {
    return this.timeline.record(tNs as SimTimeNs, 0, lane, this.recoveredKind, recoveryNs, 0, 0, cause);
  }

  permanentFailure(lane: number, tNs: number, freezeCount: number, why: string, cause: number): number {
    return this.timeline.record(tNs as SimTimeNs, 0, lane, this.failedKind, freezeCount, this.timeline.internString(why), 0, cause);
  }

  notification(lane: number, tNs: number, serial: number, device: string, merged: boolean, cause: number): number {
    const tl = this.timeline;
    return tl.record(tNs as SimTimeNs, 0, lane, this.notifyKind, serial, tl.internString(device), merged ? 1 : 0, cause);
  }
}

export { NO_CAUSE };
