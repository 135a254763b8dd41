// Faults a scenario schedules at simulated times (docs/model.md#faults). Every fault kind has a
// schema here; a kind whose handler is not built is refused when the scenario is validated
// (core/faults/faultRegistry.ts, through core/run/scenarioChecks.ts).
// Must not: implement faults.

import { z } from 'zod';
import { u64 } from './numbers';

const atMs = z.number().nonnegative().max(86_400_000).meta({ description: 'When the fault happens, ms of simulated time.' });
const pe = z.number().int().nonnegative().meta({ description: 'Host PE (PowerPC), as vms[].devices[].hostPe numbers them.' });
const device = z.string().min(1).max(64).meta({ description: 'Device name.' });

export const EEH_RECOVERY_STEPS = [
  'error_detected',
  'wait',
  'read_log',
  'thaw_mmio',
  'mmio_enabled',
  'thaw_dma',
  'reset',
  'slot_reset',
  'resume',
] as const;

export const FaultSchema = z.discriminatedUnion('kind', [
  z
    .strictObject({ kind: z.literal('eeh-freeze'), atMs, pe })
    .meta({ description: 'The host PE freezes (EEH): MMIO reads all ones, DMA stops.' }),
  z
    .strictObject({ kind: z.literal('eeh-recovery-step-fails'), atMs, pe, step: z.enum(EEH_RECOVERY_STEPS) })
    .meta({ description: 'A step of the next EEH recovery of the PE fails on that host PE.' }),
  z.strictObject({ kind: z.literal('dma-to-unmapped'), atMs, device }).meta({
    description:
      'The device DMAs to the IOVA it was last unmapped from: reaches the freed buffer while a lazy flush is pending, else an IOMMU fault (EEH freeze on PowerPC).',
  }),
  z
    .strictObject({
      kind: z.literal('rpcit-out-of-resource'),
      atMs,
      device: device.optional().meta({ description: 'The zPCI function; default every function of the scenario.' }),
      count: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(1)
        .meta({ description: "How many of each function's next RPCITs answer status 16." }),
    })
    .meta({ description: 's390: the next RPCITs answer cc 1 status 16 (insufficient resources) whatever dma_avail is.' }),
  z
    .strictObject({ kind: z.literal('memlock-shrink'), atMs, bytes: u64 })
    .meta({ description: "QEMU's RLIMIT_MEMLOCK is lowered to `bytes` (prlimit)." }),
  z.strictObject({ kind: z.literal('device-hotplug'), atMs, device }).meta({ description: 'The (unplugged) device is plugged back in.' }),
  z
    .strictObject({ kind: z.literal('device-unplug'), atMs, device })
    .meta({ description: 'The device is hot-unplugged: in-flight IOs complete, no new ones start, QEMU drops its mappings.' }),
  z.strictObject({ kind: z.literal('guest-reset'), atMs, vm: z.string().min(1).max(64).optional() }).meta({
    description: 'The guest reboots: its DMA mappings and flush queues are dropped, QEMU unmaps everything, windows return to defaults.',
  }),
  z
    .strictObject({
      kind: z.literal('window-change'),
      atMs,
      pe,
      pageShift: z.number().int().min(12).max(34),
      windowShift: z.number().int().min(12).max(62),
    })
    .meta({ description: "PowerPC: the guest replaces the PE's 64-bit DMA window (DDW remove + create)." }),
]);

export type FaultSpec = z.output<typeof FaultSchema>;
export type FaultKind = FaultSpec['kind'];
