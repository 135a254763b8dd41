// The presence of one passed-through device as its guest driver sees it: online (IOs may start),
// draining (hot-unplug requested: IOs in flight finish, no new one starts), offline (removed, or its
// guest rebooting). A workload that finds the device not online parks the next step of its slot
// here and is resumed when the device is back. `epoch` grows when the guest loses the device's
// in-flight work (a guest reset): a completion of an older epoch belongs to a guest that no longer
// exists, so the workload drops it instead of unmapping.
// Must not: know how a device is torn down or rebuilt (the stack's fault handlers do), or run IOs.

import type { Scheduler, SimComponent } from '../../sim/scheduler';
import type { SimTimeNs } from '../../sim/simTime';

export type DevicePresence = 'online' | 'draining' | 'offline';

export class DeviceLifecycle implements SimComponent {
  state: DevicePresence = 'online';
  /** Offline because it was unplugged (not merely rebooting with its guest). */
  removed = false;
  epoch = 0;
  /**
   * Grows each time the guest side below the driver is rebuilt (reset, re-plug): what a workload
   * mapped once at setup (a DPDK mempool, an RX ring, GPU buffers) must be mapped again.
   */
  generation = 0;
  /**
   * Grows when the device stops doing DMA with IOs left on it (its PE froze, or it failed for good):
   * an IO that reaches the device or completes under an older value was caught by it.
   */
  pauseEpoch = 0;
  /** IOs the device holds for the current epoch. */
  inFlight = 0;
  /** IOs the guest lost (in flight at a reset). */
  aborted = 0;
  /** Simulated time the device spent not online, ns (closed intervals only, plus the open one at `offlineNsAt`). */
  private offlineNs = 0;
  private offlineSince = -1;
  private readonly parkedHandler: number[] = [];
  private readonly parkedKind: number[] = [];
  private readonly parkedArg: number[] = [];
  private drained: (() => void) | null = null;
  private readonly handler: number;
  /** Identifies the pending bring-online; a later state change makes an older one void. */
  private onlineToken = 0;

  constructor(
    private readonly sim: Scheduler,
    readonly name: string,
  ) {
    this.handler = sim.register(this);
  }

  get accepting(): boolean {
    return this.state === 'online';
  }

  /** Slots waiting for the device to come back. */
  get parked(): number {
    return this.parkedHandler.length;
  }

  /** The workload's step (handler, kind, arg) runs again when the device is back online. */
  park(handler: number, kind: number, arg: number): void {
    this.parkedHandler.push(handler);
    this.parkedKind.push(kind);
    this.parkedArg.push(arg);
  }

  ioStarted(): void {
    this.inFlight++;
  }

  /** An IO of `epoch` finished (the workload passes the epoch it started in). */
  ioEnded(epoch: number): void {
    if (epoch !== this.epoch) return;
    this.inFlight--;
    if (this.inFlight === 0 && this.state === 'draining') this.fireDrained();
  }

  /** Stops new IOs; `then` runs once the IOs in flight have ended (now, if there are none). */
  drain(then: () => void): void {
    if (this.state !== 'online') throw new Error(`device ${this.name} cannot drain while ${this.state}`);
    this.state = 'draining';
    this.drained = then;
    this.markOffline();
    if (this.inFlight === 0) this.fireDrained();
  }

  /** The guest forgets every IO in flight (reset): their completions will be dropped. */
  abortInFlight(): void {
    this.aborted += this.inFlight;
    this.inFlight = 0;
    this.epoch++;
    this.drained = null;
  }

  /** @param removed unplugged (a hot-plug brings it back), rather than rebooting with its guest */
  setOffline(removed: boolean): void {
    this.state = 'offline';
    this.removed = removed;
    this.onlineToken++;
    this.markOffline();
  }

  /**
   * DMA stops (an EEH freeze): no IO starts, IOs on the device do not complete; they are issued again
   * when the device is back (blk-mq requeues what the driver's error handler cancelled).
   */
  pause(): void {
    if (this.state === 'offline') return;
    this.pauseEpoch++;
    this.setOffline(false);
  }

  /** The device failed for good (EEH permanent failure): its driver is unbound, IOs on it fail. */
  fail(): void {
    this.pauseEpoch++;
    this.setOffline(true);
    // Waiting steps learn it now: an IO held by the device ends with an error, a new one parks again.
    this.wakeParked();
  }

  /** Online again at `atNs` (unless it goes offline again before): every parked step runs then. */
  bringOnlineAt(atNs: SimTimeNs): void {
    if (this.state !== 'offline') throw new Error(`device ${this.name} is ${this.state}, not offline`);
    this.sim.scheduleAt(atNs, this.handler, 0, ++this.onlineToken);
  }

  handleEvent(_kind: number, token: number): void {
    if (token !== this.onlineToken || this.state !== 'offline') return;
    this.state = 'online';
    this.removed = false;
    if (this.offlineSince >= 0) this.offlineNs += Math.max(0, this.sim.now - this.offlineSince);
    this.offlineSince = -1;
    this.wakeParked();
  }

  private wakeParked(): void {
    const handlers = this.parkedHandler.splice(0);
    const kinds = this.parkedKind.splice(0);
    const args = this.parkedArg.splice(0);
    for (let i = 0; i < handlers.length; i++) this.sim.scheduleAt(this.sim.now, handlers[i]!, kinds[i]!, args[i]!);
  }

  /** Time not online up to `nowNs`, ns. */
  offlineTotalNs(nowNs: number): number {
    return this.offlineNs + (this.offlineSince >= 0 ? Math.max(0, nowNs - this.offlineSince) : 0);
  }

  private markOffline(): void {
    if (this.offlineSince < 0) this.offlineSince = this.sim.now;
  }

  private fireDrained(): void {
    const then = this.drained;
    this.drained = null;
    then?.();
  }
}
