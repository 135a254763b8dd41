// The device and guest lifetime faults (docs/model.md#faults) on a run's stack:
// - device-unplug: the guest's driver stops starting IOs, lets the ones in flight finish (their
//   unmaps run), then QEMU drops the device's DMA address space: with a vIOMMU, its container loses
//   every shadowed mapping (one VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_ALL); without one, the
//   VM's RAM container is torn down only when no other device of the VM still uses it.
// - device-hotplug: QEMU realizes the device again: without a vIOMMU, a torn-down RAM container is
//   rebuilt by mapping (and pinning) all guest RAM, the dominant cost of a hot-plug; then the guest
//   enumerates and probes it (guestHotplugProbeNs) with a fresh DMA path (new IOMMU domain).
// - guest-reset: the guest reboots: every IO in flight is lost, QEMU's system reset drops every
//   vIOMMU shadow mapping (RAM mapped without a vIOMMU stays: QEMU's RAM listener keeps it), the
//   guest comes back after guestRebootNs with fresh DMA state; a device unplugged stays unplugged.
// Must not: run workloads (they park on the device's lifecycle) or know a vIOMMU's internals.

import type { DurationNs, SimTimeNs } from '../sim/simTime';
import type { TimelineRecorder } from '../sim/timelineRecorder';
import type { FaultContext, FaultHandlers } from './faultTypes';
import type { DeviceStack, Stack, VmStack } from '../stack/stackBuilder';
import { guestRamRegions } from '../stack/stackBuilder';

function deviceLane(timeline: TimelineRecorder, name: string): number {
  return timeline.defineLane(`device.${name}`, 'device');
}

function lifecycleKind(timeline: TimelineRecorder, name: string, failure = false): number {
  return timeline.defineKind({ name, args: [{ name: 'qemuWorkNs', format: 'ns' }], failure });
}

function findDevice(ctx: FaultContext, name: string): { vm: VmStack; device: DeviceStack } {
  const found = ctx.stack().device(name);
  if (found === undefined) throw new Error(`no device ${name} (the scenario should have been rejected)`);
  return found;
}

/** QEMU drops the device's DMA address space; returns the VFIO work, ns. */
function dropAddressSpace(vm: VmStack, device: DeviceStack): number {
  const qemu = vm.qemu;
  if (qemu === null || device.container === null) return 0;
  if (vm.config.viommu.model !== 'none') return qemu.vfioUnmapAll(device.container);
  const othersPresent = vm.devices.some((d) => d !== device && d.lifecycle.state !== 'offline');
  return othersPresent ? 0 : qemu.vfioUnmapAll(device.container);
}

/** The device leaves the guest once its IOs in flight are done. */
function removeDevice(ctx: FaultContext, vm: VmStack, device: DeviceStack, cause: number): void {
  const { sim } = ctx;
  device.dma.retire();
  const workNs = dropAddressSpace(vm, device);
  device.lifecycle.setOffline(true);
  ctx.stack().countIncident('device.unplugs');
  sim.timeline.record(
    sim.now,
    workNs as DurationNs,
    deviceLane(sim.timeline, device.config.name),
    lifecycleKind(sim.timeline, 'device.remove'),
    workNs,
    0,
    0,
    cause,
  );
}

function unplug(ctx: FaultContext, name: string, cause: number): void {
  const { sim } = ctx;
  const { vm, device } = findDevice(ctx, name);
  const lane = deviceLane(sim.timeline, name);
  if (device.lifecycle.state !== 'online') {
    sim.timeline.record(sim.now, 0, lane, lifecycleKind(sim.timeline, 'device.unplug.ignored'), 0, 0, 0, cause);
    return;
  }
  const requested = sim.timeline.record(sim.now, 0, lane, lifecycleKind(sim.timeline, 'device.unplug.requested'), 0, 0, 0, cause);
  device.lifecycle.drain(() => removeDevice(ctx, vm, device, requested));
}

/** Maps guest RAM into a torn-down RAM container again (QEMU's listener replays RAM); returns the work, ns. */
function restoreRamContainer(ctx: FaultContext, vm: VmStack, device: DeviceStack): number {
  const qemu = vm.qemu;
  if (vm.config.viommu.model !== 'none' || qemu === null || device.container === null || device.container.entries > 0) return 0;
  let ns = 0;
  for (const r of guestRamRegions(ctx.scenario, vm.config))
    ns += qemu.vfioMap(device.container, r.gpa, r.gpa, r.bytes, false, ctx.sim.now, -1);
  return ns;
}

function hotplug(ctx: FaultContext, name: string, cause: number): void {
  const { sim } = ctx;
  const stack = ctx.stack();
  const { vm, device } = findDevice(ctx, name);
  const lane = deviceLane(sim.timeline, name);
  if (!device.lifecycle.removed) {
    sim.timeline.record(sim.now, 0, lane, lifecycleKind(sim.timeline, 'device.hotplug.ignored'), 0, 0, 0, cause);
    return;
  }
  const qemuNs = restoreRamContainer(ctx, vm, device);
  stack.rebuildDevice(vm, device);
  const totalNs = qemuNs + sim.costs.guestHotplugProbeNs;
  stack.countIncident('device.hotplugs');
  stack.countIncident('device.hotplugMs', totalNs / 1e6);
  sim.timeline.record(sim.now, totalNs as DurationNs, lane, lifecycleKind(sim.timeline, 'device.hotplug'), qemuNs, 0, 0, cause);
  device.lifecycle.bringOnlineAt((sim.now + totalNs) as SimTimeNs);
}

function resetVm(ctx: FaultContext, stack: Stack, vm: VmStack, cause: number): void {
  const { sim } = ctx;
  let qemuNs = 0;
  for (const d of vm.devices) {
    const life = d.lifecycle;
    const wasDraining = life.state === 'draining';
    life.abortInFlight();
    if (life.removed) continue;
    if (wasDraining) {
      // The reset completes the pending removal: nothing is left in flight to wait for.
      removeDevice(ctx, vm, d, cause);
      continue;
    }
    life.setOffline(false);
    d.dma.retire();
    // System reset: the vIOMMU forgets every mapping, so QEMU unmaps the device's whole address space.
    if (vm.config.viommu.model !== 'none' && vm.qemu !== null && d.container !== null) qemuNs += vm.qemu.vfioUnmapAll(d.container);
    stack.rebuildDevice(vm, d);
  }
  stack.eeh(vm.config.name)?.resetGuest(sim.now);
  const backNs = sim.now + qemuNs + sim.costs.guestRebootNs;
  stack.countIncident('guest.resets');
  const lane = sim.timeline.defineLane(`guest.${vm.config.name}`, 'guest');
  sim.timeline.record(
    sim.now,
    (backNs - sim.now) as DurationNs,
    lane,
    lifecycleKind(sim.timeline, 'guest.reset', true),
    qemuNs,
    0,
    0,
    cause,
  );
  for (const d of vm.devices) if (!d.lifecycle.removed) d.lifecycle.bringOnlineAt(backNs as SimTimeNs);
}

export const DEVICE_FAULT_HANDLERS: Pick<Required<FaultHandlers>, 'device-unplug' | 'device-hotplug' | 'guest-reset'> = {
  'device-unplug': (ctx, fault, cause) => unplug(ctx, fault.device, cause),
  'device-hotplug': (ctx, fault, cause) => hotplug(ctx, fault.device, cause),
  'guest-reset': (ctx, fault, cause) => {
    const stack = ctx.stack();
    for (const vm of stack.vms) if (fault.vm === undefined || vm.config.name === fault.vm) resetVm(ctx, stack, vm, cause);
  },
};
