// Scenario options of PowerPC EEH (vms[].eeh): how the hypervisor maps guest PEs onto host PEs and
// the guest kernel's recovery parameters. Defaults and their sources live in parameterDefaults.ts.
// Must not: hold options of other layers.

import { z } from 'zod';
import { PARAMETER_DEFAULTS as P } from './parameterDefaults';

function doc(description: string, mirrors?: string | null): { description: string; mirrors?: string } {
  return mirrors === undefined || mirrors === null ? { description } : { description, mirrors };
}

const ms = (max: number) => z.number().int().nonnegative().max(max);

/** What a device's driver answers in error_detected(io_frozen) (struct pci_error_handlers). */
const driverResult = z.enum(['can-recover', 'need-reset', 'none']);

const DriverResultSchema = z
  .strictObject({
    nvme: driverResult.default(P['vms[].eeh.driverResult.nvme'].value),
    'mlx5-vf': driverResult.default(P['vms[].eeh.driverResult.mlx5-vf'].value),
    ism: driverResult.default(P['vms[].eeh.driverResult.ism'].value),
    gpu: driverResult.default(P['vms[].eeh.driverResult.gpu'].value),
    'virtio-net-vdpa': driverResult.default(P['vms[].eeh.driverResult.virtio-net-vdpa'].value),
    generic: driverResult.default(P['vms[].eeh.driverResult.generic'].value),
  })
  .meta(
    doc(
      'Per device kind, what the guest driver answers in error_detected(io_frozen): "can-recover" (thaw MMIO, mmio_enabled, thaw DMA), ' +
        '"need-reset" (PE reset, slot_reset; nvme_error_detected, mlx5_pci_err_detected) or "none" (no EEH-aware handler: the device is ' +
        'hot-removed around the reset).',
      'struct pci_error_handlers',
    ),
  );

const detection = z.number().int().nonnegative().max(3_600_000).nullable();

const DetectionSchema = z
  .strictObject({
    nvme: detection.default(P['vms[].eeh.detectionMs.nvme'].value),
    'mlx5-vf': detection.default(P['vms[].eeh.detectionMs.mlx5-vf'].value),
    ism: detection.default(P['vms[].eeh.detectionMs.ism'].value),
    gpu: detection.default(P['vms[].eeh.detectionMs.gpu'].value),
    'virtio-net-vdpa': detection.default(P['vms[].eeh.detectionMs.virtio-net-vdpa'].value),
    generic: detection.default(P['vms[].eeh.detectionMs.generic'].value),
  })
  .meta(
    doc(
      'Per device kind, ms from a freeze until the driver reads a register of the device, sees all ones and calls eeh_check_failure ' +
        '(null: only an explicit mmio.read detects it).',
      'nvme_core.io_timeout, MLX5_HEALTH_POLL_INTERVAL',
    ),
  );

export const EehSchema = z.strictObject({
  guestPeMapping: z
    .enum(['refuse', 'naive', 'fan-out'])
    .default(P['vms[].eeh.guestPeMapping'].value)
    .meta(
      doc(
        'How QEMU serves EEH for a guest PE made of several host PEs (reference 001). "refuse": what QEMU does today ' +
          '(vfio_eeh_container_ok wants exactly one group per container, vfio_eeh_as_container one container per address space): ' +
          'every EEH RTAS call on that PHB answers RTAS_PARAM_ERROR, the guest runs without EEH there. "naive": QEMU forwards to the ' +
          "container and the kernel's VFIO_EEH_PE_OP iterates over its groups, stopping at the first non-zero return " +
          '(tce_iommu_ioctl), with no synchronisation of their states. "fan-out" (the proposal of reference 001): freeze every host PE of the guest PE when ' +
          'one freezes, replay each step on all, resolve a partial failure to one state, merge notifications by serial.',
        'QEMU hw/ppc/spapr_pci_vfio.c, hw/vfio (vfio_eeh_as_op)',
      ),
    ),
  maxFreezes: z
    .number()
    .int()
    .nonnegative()
    .max(1_000_000)
    .default(P['vms[].eeh.maxFreezes'].value)
    .meta(doc('Freezes of one (guest) PE within the window before it is failed permanently.', P['vms[].eeh.maxFreezes'].mirrors)),
  freezeWindowS: z
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(P['vms[].eeh.freezeWindowS'].value)
    .meta(doc('The freeze count restarts when more than this many seconds passed since the first freeze it counts (3600 in Linux).')),
  recoveryWaitMaxMs: ms(3_600_000)
    .default(P['vms[].eeh.recoveryWaitMaxMs'].value)
    .meta(doc('How long the guest waits for an unavailable PE before declaring a permanent failure (MAX_WAIT_FOR_RECOVERY).')),
  resetHoldMs: ms(60_000).default(P['vms[].eeh.resetHoldMs'].value).meta(doc('Reset assert hold time (EEH_PE_RST_HOLD_TIME).')),
  resetSettleMs: ms(60_000)
    .default(P['vms[].eeh.resetSettleMs'].value)
    .meta(doc('Settle time after deasserting reset (EEH_PE_RST_SETTLE_TIME).')),
  resetType: z
    .enum(['hot', 'fundamental'])
    .default('hot')
    .meta(doc('Reset the guest asks for: hot unless a device needs a fundamental one (eeh_pe_reset_full, pci_dev->needs_freset).')),
  unavailableHintMs: ms(300_000)
    .default(P['vms[].eeh.unavailableHintMs'].value)
    .meta(doc('The wait hint QEMU returns in ibm,read-slot-reset-state2 (RTAS_EEH_PE_UNAVAIL_INFO).')),
  hotplugDelayMs: ms(60_000)
    .default(P['vms[].eeh.hotplugDelayMs'].value)
    .meta(doc('Sleep before re-adding devices whose driver has no EEH handler (eeh_reset_device: ssleep(5)).')),
  guestRecovery: z
    .enum(['auto', 'off'])
    .default('auto')
    .meta(
      doc(
        '"auto": the guest kernel detects freezes and runs eeh_handle_normal_event by itself; "off": nothing happens unless an ops ' +
          'script issues the RTAS calls (it then plays the guest EEH core).',
      ),
    ),
  driverResult: DriverResultSchema.prefault({}),
  detectionMs: DetectionSchema.prefault({}),
});

export type EehOptions = z.output<typeof EehSchema>;
export type EehDriverResult = z.output<typeof driverResult>;
