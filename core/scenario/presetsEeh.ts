// The EEH preset (reference 001): EEH on a guest PE made of two host PEs. One host PE
// freezes; what the guest sees and how it recovers under QEMU's refusal (today), the kernel's naive
// container-wide op, and the fan-out strategy; a recovery step failing on one host PE; six freezes
// within an hour, and six spread over more than an hour.
// Must not: hold presets of other subjects; every claim is measured by the run.

import type { Preset } from './presetTypes';

const REF001 = 'reference 001 (David Gibson / Jason Gunthorpe, "iommufd: vfio container FD ioctl compatibility", May 2022)';
const LINUX = 'Linux arch/powerpc/kernel/eeh_driver.c eeh_handle_normal_event, eeh_pe.c eeh_pe_update_time_stamp';
const QEMU = 'QEMU hw/ppc/spapr_pci_vfio.c vfio_eeh_container_ok: "broken if there are multiple groups in a container"';
const MIN = 60_000;

const freeze = (atMs: number, pe = 1) => ({ kind: 'eeh-freeze' as const, atMs, pe });

/** Six freezes of host PE 1, `everyMs` apart, then the states of both host PEs. */
function freezes(everyMs: number): string[] {
  const faults = [0, 1, 2, 3, 4, 5].map((i) => freeze(i * everyMs));
  const endMs = 5 * everyMs + 2 * MIN;
  const workload = {
    kind: 'ops',
    steps: [
      { op: 'eeh.state', args: { pe: 1 }, atMs: endMs },
      { op: 'eeh.state', args: { pe: 2 } },
    ],
  };
  return [`faults=${JSON.stringify(faults)}`, `workload=${JSON.stringify(workload)}`, `durationMs=${endMs + 1000}`];
}

const eehGuestPe: Preset = {
  id: 'ppc-eeh-guest-pe',
  title: 'EEH: a guest PE over two host PEs, without and with fan-out',
  summary:
    'Two NVMe in two host PEs (two IOMMU groups) sit behind one guest PHB, so the guest sees one PE. Host PE 1 freezes. QEMU today ' +
    'refuses EEH for a PHB with more than one group: every EEH RTAS call answers RTAS_PARAM_ERROR, the guest cannot recover the frozen NVMe ' +
    "and sees one device answer all ones while its sibling on the same PE works. Without QEMU's guard the kernel's container-wide " +
    'VFIO_EEH_PE_OP runs on each group and returns the first non-normal state: recovery works but the guest reads states that are false for ' +
    'one host PE. With fan-out QEMU freezes every host PE of the guest PE (merging the notifications by serial), replays each guest step ' +
    'on all of them and, when a step fails on one, brings both back to Stopped so the guest retries: one state throughout. More than ' +
    'eeh_max_freezes (5) freezes within an hour fail the PE permanently.',
  thread: REF001,
  scenario: {
    name: 'ppc-eeh-guest-pe',
    durationMs: 61_000,
    host: { arch: 'ppc64le', hypervisor: 'kvm', vfio: { backend: 'spapr-tce-v2' } },
    vms: [
      {
        name: 'vm0',
        viommu: { model: 'spapr-tce' },
        eeh: { guestPeMapping: 'refuse' },
        devices: [
          { name: 'nvme0', kind: 'nvme', hostPe: 1, guestPe: 1 },
          { name: 'nvme1', kind: 'nvme', hostPe: 2, guestPe: 1 },
        ],
      },
    ],
    faults: [freeze(0)],
    workload: {
      kind: 'ops',
      steps: [
        { op: 'mmio.read', args: { device: 'nvme0' }, atMs: 1 },
        { op: 'mmio.read', args: { device: 'nvme1' } },
        { op: 'rtas.ibm,read-slot-reset-state2', args: { pe: 1 } },
        { op: 'eeh.state', args: { pe: 1 }, atMs: MIN },
        { op: 'eeh.state', args: { pe: 2 } },
      ],
    },
  },
  variants: [
    { name: 'today', description: 'QEMU today: EEH refused on a PHB with two groups (vfio_eeh_container_ok)', set: [] },
    {
      name: 'naive',
      description: "the kernel's container-wide VFIO_EEH_PE_OP without QEMU's guard",
      set: ['vms.0.eeh.guestPeMapping=naive'],
    },
    { name: 'fanOut', description: 'fan-out: freeze all, replay each step on every host PE', set: ['vms.0.eeh.guestPeMapping=fan-out'] },
    {
      name: 'fanOutStepFails',
      description: 'fan-out, the reset fails once on host PE 2',
      set: [
        'vms.0.eeh.guestPeMapping=fan-out',
        `faults=${JSON.stringify([{ kind: 'eeh-recovery-step-fails', atMs: 0, pe: 2, step: 'reset' }, freeze(0)])}`,
      ],
    },
    {
      name: 'sixFreezes',
      description: 'fan-out, six freezes ten minutes apart',
      set: ['vms.0.eeh.guestPeMapping=fan-out', ...freezes(10 * MIN)],
    },
    {
      name: 'spread',
      description: 'fan-out, six freezes 13 minutes apart: the sixth comes 65 minutes after the first',
      set: ['vms.0.eeh.guestPeMapping=fan-out', ...freezes(13 * MIN)],
    },
  ],
  claims: [
    {
      id: 'all-ones',
      text: 'A frozen PE answers MMIO reads with all ones (EEH_IO_ERROR_VALUE): how a driver notices.',
      source: 'Linux arch/powerpc/include/asm/eeh.h EEH_IO_ERROR_VALUE',
      step: 0,
      variant: 'today',
      errno: null,
      ret: '0xffffffff',
    },
    {
      id: 'today-refused',
      text: 'QEMU today refuses EEH on a guest PHB holding two host PEs: the guest gets RTAS_PARAM_ERROR.',
      source: QEMU,
      step: 2,
      variant: 'today',
      errno: 'RTAS_PARAM_ERROR',
    },
    {
      id: 'today-unrecovered',
      text: 'So the frozen device is never recovered.',
      source: QEMU,
      metric: 'today:eeh.recoveries',
      op: '==',
      value: 0,
    },
    {
      id: 'today-inconsistent',
      text: 'Without fan-out, freezing one host PE exposes an inconsistent guest PE: one device reads all ones, its sibling answers.',
      source: REF001,
      metric: 'today:eeh.inconsistentStates',
      op: '>',
      value: 0,
    },
    {
      id: 'naive-inconsistent',
      text: "The kernel's naive container op recovers, but the guest reads a PE state that is false for one host PE.",
      source: REF001,
      metric: 'naive:eeh.inconsistentStates',
      op: '>',
      value: 0,
    },
    {
      id: 'fanout-freeze-together',
      text: 'With fan-out the other host PE is frozen too...',
      source: REF001,
      metric: 'fanOut:eeh.fanOutFreezes',
      op: '>=',
      value: 1,
    },
    {
      id: 'fanout-consistent',
      text: '...the guest never observes the host PEs of its PE in different states...',
      source: REF001,
      metric: 'fanOut:eeh.inconsistentStates',
      op: '==',
      value: 0,
    },
    {
      id: 'fanout-recover-together',
      text: '...and both recover together: both host PEs are Normal afterwards.',
      source: REF001,
      metric: 'fanOut:eeh.hostPesNormal',
      op: '==',
      value: 2,
    },
    {
      id: 'serial-merge',
      text: 'Duplicate error notifications (one per device) are merged by their serial number.',
      source: REF001,
      metric: 'fanOut:eeh.duplicateNotificationsMerged',
      op: '>=',
      value: 1,
    },
    {
      id: 'stepfail-resolved',
      text: 'A recovery step failing on one host PE is reported once and the host PEs are brought back into one state...',
      source: REF001,
      metric: 'fanOutStepFails:eeh.resolvedPartialFailures',
      op: '>=',
      value: 1,
    },
    {
      id: 'stepfail-one-state',
      text: '...from which the guest retries the reset (eeh_pe_reset_full) and both host PEs end Normal.',
      source: LINUX,
      metric: 'fanOutStepFails:eeh.hostPesNormal',
      op: '==',
      value: 2,
    },
    {
      id: 'stepfail-consistent',
      text: 'Throughout, the guest never sees the host PEs disagree.',
      source: REF001,
      metric: 'fanOutStepFails:eeh.inconsistentStates',
      op: '==',
      value: 0,
    },
    {
      id: 'sixth-freeze-permanent',
      text: 'The sixth freeze within an hour fails the PE permanently...',
      source: LINUX,
      metric: 'sixFreezes:eeh.permanentFailures',
      op: '==',
      value: 1,
    },
    {
      id: 'five-recovered',
      text: '...after five successful recoveries.',
      source: LINUX,
      metric: 'sixFreezes:eeh.recoveries',
      op: '==',
      value: 5,
    },
    {
      id: 'spread-not-permanent',
      text: 'Six freezes spread over more than an hour restart the count: no permanent failure.',
      source: LINUX,
      metric: 'spread:eeh.permanentFailures',
      op: '==',
      value: 0,
    },
  ],
};

export const EEH_PRESETS: readonly Preset[] = [eehGuestPe];
