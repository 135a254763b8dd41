// The presets the lab ships: each is a scenario plus the claims from its reference thread that the
// run checks. Presets double as golden tests (their claims must hold, their hash is stable).
// Must not: contain results; every claim is measured by the run.

import type { Preset } from './presetTypes';
import { HOST_PRESETS } from './presetsHost';
import { X86_PRESETS } from './presetsX86';
import { REF002_PRESET } from './presetsRef002';
import { S390_PRESETS } from './presetsS390';
import { PPC_PRESETS } from './presetsPpc';
import { EEH_PRESETS } from './presetsEeh';
import { FIELD_PRESETS } from './presetsField';
import { FIELD2_PRESETS } from './presetsField2';

export type { Preset } from './presetTypes';

/** Every claim a preset states (scenario-level and variant-level), for listings. */
export function presetClaims(p: Preset): readonly { readonly id: string; readonly text: string }[] {
  return [...(p.scenario.claims ?? []), ...(p.claims ?? [])];
}

const quickstart: Preset = {
  id: 'quickstart-nvme-fio',
  title: 'Quickstart: NVMe fio without a vIOMMU',
  summary:
    'One x86 KVM guest, no vIOMMU (guest RAM mapped once), one passed-through NVMe, fio 4 KiB random reads at QD 32 x 4 jobs. ' +
    'Checks that the device model saturates at its bandwidth limit when the mapping path is cheap.',
  thread: 'none (sanity check of the device model; NVMe defaults in docs/model.md, default costs)',
  scenario: {
    name: 'quickstart-nvme-fio',
    seed: 1,
    durationMs: 50,
    host: { arch: 'x86_64', hypervisor: 'kvm' },
    vms: [{ name: 'vm0', vcpus: 4, viommu: { model: 'none' }, devices: [{ name: 'nvme0', kind: 'nvme' }] }],
    workload: { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 32, numjobs: 4 },
    claims: [
      {
        id: 'saturates-bandwidth',
        text: 'With cheap mappings, 128 IOs in flight saturate the NVMe at its 3.5 GB/s limit (within 5 %).',
        source: 'docs/model.md, default costs (assumption): NVMe device limit 1,000,000 IOPS, 3.5 GB/s',
        metric: 'io.bandwidthMBps',
        op: 'between',
        value: 3325,
        valueMax: 3500,
      },
      {
        id: 'latency-littles-law',
        text: "Queueing at the device sets latency: P50 is about in-flight IOs / IOPS (Little's law), far above the 80 us QD1 latency.",
        source: "docs/model.md, default costs (assumption): NVMe QD1 80 us; Little's law",
        metric: 'io.latencyP50Us',
        op: 'between',
        value: 130,
        valueMax: 170,
      },
    ],
  },
};

export const PRESETS: readonly Preset[] = [
  quickstart,
  ...S390_PRESETS,
  ...HOST_PRESETS,
  REF002_PRESET,
  ...X86_PRESETS,
  ...PPC_PRESETS,
  ...EEH_PRESETS,
  ...FIELD_PRESETS,
  ...FIELD2_PRESETS,
];

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
