// The scenario schema: the one zod source for validation, defaults, TypeScript types and the JSON
// Schema that `pcilab schema` prints. The top level is fixed (docs/model.md#the-scenario-file);
// below it the schema grows with each modelled layer. Field docs name the kernel parameter or QEMU
// option mirrored.
// Must not: read files or apply overrides (see loadScenario.ts).

import { z } from 'zod';
import { COST_KEYS } from '../sim/costTable';
import { isPowerOfTwo, u64 } from './numbers';
import { PARAMETER_DEFAULTS as P } from './parameterDefaults';
import { ClaimSpecSchema } from './claimSpec';
import { IommufdHostSchema } from './iommufdSchema';
import { SpaprHostSchema } from './spaprSchema';
import { QemuHostSchema, versionString } from './qemuSchema';
import { DEFAULT_GUEST_KERNEL_VERSION, DEFAULT_HOST_KERNEL_VERSION } from './versions';
import { S390ViommuSchema } from './s390ViommuSchema';
import { IntelIommuSchema, VirtioIommuSchema } from './x86ViommuSchema';
import { SpaprViommuSchema } from './ppcSchema';
import { EehSchema } from './eehSchema';
import { FaultSchema } from './faultSchema';

import {
  DmaTraceWorkloadSchema,
  DpdkWorkloadSchema,
  GpuWorkloadSchema,
  NetWorkloadSchema,
  ProbeWorkloadSchema,
  VirtioMemWorkloadSchema,
  workloadReferenceProblems,
} from './workloadSchemas';

const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"');

function doc(description: string, mirrors?: string | null): { description: string; mirrors?: string } {
  return mirrors === undefined || mirrors === null ? { description } : { description, mirrors };
}

export const VfioSchema = z.strictObject({
  backend: z
    .enum(['type1v2', 'type1v1', 'iommufd', 'spapr-tce-v1', 'spapr-tce-v2'])
    .default('type1v2')
    .meta(doc('Host DMA backend QEMU uses for the container.', 'VFIO_SET_IOMMU (VFIO_TYPE1v2_IOMMU, ...) or iommufd')),
  dmaEntryLimit: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .default(P['host.vfio.dmaEntryLimit'].value)
    .meta(doc('Mappings a type1 container may hold at once.', P['host.vfio.dmaEntryLimit'].mirrors)),
  memlockBytes: u64
    .nullable()
    .default(null)
    .meta(doc('Locked-memory limit of the QEMU process in bytes; null = unlimited.', 'RLIMIT_MEMLOCK')),
  disableHugepages: z
    .boolean()
    .default(false)
    .meta(doc('Map every 4 KiB page separately instead of contiguous runs.', 'vfio_iommu_type1.disable_hugepages')),
  capIpcLock: z
    .boolean()
    .default(false)
    .meta(doc('QEMU runs with CAP_IPC_LOCK: locked memory is counted but not limited.', 'CAP_IPC_LOCK')),
  allowUnsafeInterrupts: z
    .boolean()
    .default(false)
    .meta(doc('Allow attaching devices without interrupt remapping.', 'vfio_iommu_type1.allow_unsafe_interrupts')),
  iovaRangeCheck: z
    .boolean()
    .default(true)
    .meta(
      doc(
        'type1 refuses a MAP_DMA outside the valid IOVA ranges with EINVAL before the IOMMU driver sees it (Linux >= 5.4; default from host.kernelVersion). Off: older kernels, where the IOMMU driver refuses a map beyond its width (intel_iommu_map: EFAULT and "iommu width (N) is not sufficient for the mapped address").',
        'drivers/vfio/vfio_iommu_type1.c vfio_iommu_iova_dma_valid',
      ),
    ),
});

const ReservedRegionSchema = z.strictObject({
  start: u64,
  last: u64.meta(doc('Inclusive last address.')),
  kind: z.enum(['msi', 'rmrr', 'reserved']).default('reserved'),
});

export const HostIommuSchema = z.strictObject({
  apertureLast: u64.optional().meta(doc('Last IOVA of the host IOMMU aperture; default per arch (x86 2^48-1, s390 2^42-1).')),
  pageSizes: z
    .array(z.number().int().positive().refine(isPowerOfTwo, 'a page size is a power of two'))

    .min(1)
    .optional()
    .meta(doc('Supported IOMMU page sizes in bytes (pgsize_bitmap); default per arch.')),
  reservedRegions: z.array(ReservedRegionSchema).optional().meta(doc('Reserved IOVA regions; default per arch (x86: MSI window).')),
  irqRemapping: z.boolean().default(true).meta(doc('The host IOMMU remaps interrupts (IOMMU_CAP_INTR_REMAP).')),
});

export const HostSchema = z.strictObject({
  arch: z.enum(['x86_64', 's390x', 'ppc64le']).default('x86_64').meta(doc('Host and guest architecture.')),
  hypervisor: z
    .enum(['kvm', 'zvm', 'lpar', 'powernv', 'powervm-nested', 'bare-metal'])
    .default('kvm')
    .meta(
      doc(
        'Hypervisor stack the guest runs on. "bare-metal" (x86_64): no hypervisor, the "VM" is the host kernel itself driving the device (no QEMU, no VFIO): the baseline published figures are relative to.',
      ),
    ),
  memoryBacking: z
    .enum(['4k', 'thp', 'hugepages-2m', 'hugepages-1g'])
    .default('thp')
    .meta(doc('How guest RAM is backed on the host; decides physically contiguous runs and IOMMU superpages.', '-object memory-backend-*')),
  vfio: VfioSchema.prefault({}),
  iommu: HostIommuSchema.prefault({}),
  iommufd: IommufdHostSchema.prefault({}),
  spapr: SpaprHostSchema.prefault({}),
  qemu: QemuHostSchema.prefault({}),
  kernelVersion: versionString
    .default(DEFAULT_HOST_KERNEL_VERSION)
    .meta(doc('Host Linux release (VFIO DMA_AVAIL from 5.10, iommufd from 6.2, VFIO cdev from 6.6; docs/model.md#versions).', 'uname -r')),
});

export const DeviceSchema = z.strictObject({
  name: identifier.meta(doc('Device name, unique in the scenario.')),
  kind: z.enum(['nvme', 'mlx5-vf', 'ism', 'gpu', 'virtio-net-vdpa', 'generic']).default('nvme').meta(doc('Device model.')),
  dmaMaskBits: z.number().int().min(24).max(64).default(64).meta(doc('Streaming DMA mask width the driver sets.', 'dma_set_mask()')),
  coherentDmaMaskBits: z
    .number()
    .int()
    .min(24)
    .max(64)
    .optional()
    .meta(doc('Coherent DMA mask width; defaults to dmaMaskBits.', 'dma_set_coherent_mask()')),
  setsMaskBeforeCoherentAlloc: z
    .boolean()
    .default(true)
    .meta(doc('The driver raises its DMA masks before its first coherent allocation (mlx5_core did not: reference 003).')),
  barBytes: z
    .number()
    .int()
    .min(4096)
    .max(2 ** 46)
    .refine(isPowerOfTwo, 'must be a power of two (a PCI BAR is naturally sized)')
    .optional()
    .meta(
      doc(
        "Bytes of the device's large 64-bit BAR (a GPU's VRAM aperture) that QEMU mmaps from vfio-pci (a VM_PFNMAP VMA) and maps into " +
          'the container for peer-to-peer DMA, as vfio_listener_region_add does for a ram_device region; default: no BAR is mapped.',
        'vfio_pci_core_mmap; QEMU vfio_region_mmap',
      ),
    ),
  latencyUs: z.number().positive().max(1e6).optional().meta(doc('Request latency at QD1 for 4 KiB, us; default per kind.')),
  bandwidthMBps: z.number().positive().max(1e6).optional().meta(doc('Bandwidth limit, MB/s (10^6 B/s); default per kind.')),
  maxIops: z.number().positive().max(1e9).optional().meta(doc('Request-rate limit, requests/s; default per kind.')),
  iommuGroup: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta(
      doc('Host IOMMU group; devices sharing a group are assigned together (default: one group per device).', '/sys/kernel/iommu_groups'),
    ),
  hostPe: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta(doc('PowerPC: host partitionable endpoint the device sits in (default: one PE per device).')),
  guestPe: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta(
      doc(
        'PowerPC: guest PE (guest-visible PHB) the device appears in; default 0, the default PHB QEMU puts every device on, so ' +
          'several host PEs form one guest PE unless spapr-pci-host-bridge devices separate them (reference 001).',
        '-device spapr-pci-host-bridge,index=N',
      ),
    ),
});

export const FlushQueueSchema = z.strictObject({
  perCpuSize: z
    .number()
    .int()
    .min(2)
    .max(2 ** 20)
    .refine(isPowerOfTwo, 'must be a power of two')
    .default(P['vms[].guest.flushQueue.perCpuSize'].value)
    .meta(doc('Entries of each per-CPU flush queue (full at size - 1).', 'IOVA_DEFAULT_FQ_SIZE')),
  perCpuTimeoutMs: z
    .number()
    .positive()
    .max(60_000)
    .default(P['vms[].guest.flushQueue.perCpuTimeoutMs'].value)
    .meta(doc('Flush timer of the per-CPU queues, ms.', 'IOVA_DEFAULT_FQ_TIMEOUT')),
  singleSize: z
    .number()
    .int()
    .min(2)
    .max(2 ** 24)
    .refine(isPowerOfTwo, 'must be a power of two')
    .default(P['vms[].guest.flushQueue.singleSize'].value)
    .meta(doc('Entries of the single flush queue (shadow_on_flush).', 'IOVA_SINGLE_FQ_SIZE')),
  singleTimeoutMs: z
    .number()
    .positive()
    .max(60_000)
    .default(P['vms[].guest.flushQueue.singleTimeoutMs'].value)
    .meta(doc('Flush timer of the single queue, ms.', 'IOVA_SINGLE_FQ_TIMEOUT')),
});

export const GuestSchema = z.strictObject({
  kernelVersion: versionString
    .default(DEFAULT_GUEST_KERNEL_VERSION)
    .meta(
      doc(
        'Guest Linux release. It sets the guest behaviour switches that releases changed (s390 dma-iommu 6.7, virtio-iommu deferred flush 6.8, intel-iommu strict under caching mode 5.11, IOVA magazine size 6.0, the NVMe DMA size clamp 6.4) unless the scenario sets them; docs/model.md#versions.',
        'uname -r',
      ),
    ),
  iovaMagazineSize: z
    .union([z.literal(127), z.literal(128)])
    .default(127)
    .meta(doc('Entries of an IOVA rcache magazine (127 since Linux 6.0, 128 before).', 'drivers/iommu/iova.c IOVA_MAG_SIZE')),
  nvmeOptMappingClamp: z
    .boolean()
    .default(true)
    .meta(
      doc(
        'nvme-pci caps a request at dma_opt_mapping_size, 128 KiB under dma-iommu (the IOVA rcache range), so larger reads go out as several DMA mappings (Linux 6.4).',
        'drivers/nvme/host/pci.c nvme_pci_alloc_dev',
      ),
    ),
  dmaMode: z
    .enum(['strict', 'lazy', 'lazy-single', 's390-legacy'])
    .optional()
    .meta(
      doc(
        'Guest DMA API mode. Default as Linux: lazy on x86_64 and s390x (the single queue when the IOMMU shadows on flush), strict elsewhere; ' +
          '"lazy" set explicitly means per-CPU queues; "s390-legacy" is the pre-6.7 s390 DMA code.',
        'iommu.strict',
      ),
    ),
  flushQueue: FlushQueueSchema.prefault({}),

  kernelParams: z
    .strictObject({
      'iommu.strict': z
        .union([z.literal(0), z.literal(1)])
        .optional()
        .meta(doc('1 = strict, 0 = lazy.', 'iommu.strict')),
      'iommu.forcedac': z
        .union([z.literal(0), z.literal(1)])
        .optional()
        .meta(doc('1 = skip the first try below 4 GiB.', 'iommu.forcedac')),
    })
    .prefault({}),
});

export const VmSchema = z.strictObject({
  name: identifier.default('vm0'),
  memoryBytes: u64.default(P['vms[].memoryBytes'].value).meta(doc('Guest RAM in bytes.', '-m')),
  vcpus: z.number().int().min(1).max(256).default(P['vms[].vcpus'].value).meta(doc('vCPUs.', '-smp')),
  viommu: z
    .strictObject({
      model: z
        .enum(['none', 'intel-iommu', 'virtio-iommu', 's390-zpci', 'spapr-tce'])
        .default('none')
        .meta(doc('The vIOMMU the guest sees; none = guest RAM mapped once at boot.', '-device intel-iommu,...')),
      s390: S390ViommuSchema.prefault({}),
      intel: IntelIommuSchema.prefault({}),
      virtio: VirtioIommuSchema.prefault({}),
      spapr: SpaprViommuSchema.prefault({}),
    })
    .prefault({}),

  guest: GuestSchema.prefault({}),
  eeh: EehSchema.prefault({}).meta(doc("PowerPC EEH: error handling of the VM's PEs.")),

  devices: z
    .array(DeviceSchema)
    .min(1)
    .max(64)
    .prefault([{ name: 'nvme0' }]),
});

export const FioWorkloadSchema = z
  .strictObject({
    kind: z.literal('fio'),
    rw: z
      .enum(['randread', 'randwrite', 'randrw', 'read', 'write'])
      .default('randread')
      .meta(doc('IO pattern; randrw alternates reads and writes (fio --rwmixread=50).', 'fio --rw')),
    blockSizeBytes: z
      .number()
      .int()
      .min(512)
      .max(64 * 1024 * 1024)
      .default(P['workload.fio.blockSizeBytes'].value)
      .meta(doc('Block size in bytes.', 'fio --bs')),
    iodepth: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(P['workload.fio.iodepth'].value)
      .meta(doc('IOs in flight per job.', 'fio --iodepth')),
    numjobs: z.number().int().min(1).max(256).default(P['workload.fio.numjobs'].value).meta(doc('Jobs; one per vCPU.', 'fio --numjobs')),
    device: identifier.optional().meta(doc('Device the jobs target; default the first device of the first VM.')),
    sgElements: z
      .number()
      .int()
      .min(1)
      .max(64)
      .refine(isPowerOfTwo, 'must be a power of two (each request splits into equal page-multiple elements)')
      .default(1)
      .meta(
        doc(
          "Physically discontiguous pieces of each request's buffer: the scatterlist elements the block layer hands the driver (1 = one contiguous buffer, e.g. on hugepages). dma-iommu maps them into one IOVA range with one iommu_map_sg.",
          'user buffer layout (fio --iomem), blk_rq_map_sg',
        ),
      ),
  })
  .superRefine((w, ctx) => {
    if (w.blockSizeBytes % (w.sgElements * 4096) !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sgElements'],
        message: `blockSizeBytes (${w.blockSizeBytes}) must be a multiple of sgElements x 4096 bytes`,
      });
    }
  });

export const OpsStepSchema = z.strictObject({
  op: z.string().min(1).max(100).meta(doc('Op name, e.g. "vfio.map" (docs/model.md#ops-scripts).')),
  args: z.record(z.string(), z.unknown()).default({}).meta(doc('Arguments of the op; numbers or hex strings for addresses and sizes.')),
  repeat: z
    .strictObject({
      count: z.number().int().min(1).max(10_000_000).meta(doc('How many times the call runs.')),
      add: z
        .record(z.string(), z.number())
        .default({})
        .meta(doc('Added to these numeric arguments after each call (e.g. {"iova": 4096, "vaddr": 4096}).')),
    })
    .optional()
    .meta(doc('Run the call `count` times; the step reports {count, failed, firstErrno, firstFailedAt, lastRet}.')),
  atMs: z
    .number()
    .nonnegative()
    .max(86_400_000)
    .optional()
    .meta(doc('Wait until this simulated time (ms) before the call, e.g. to call after a scheduled fault.')),
});

/**
 * Longest ops script: a scenario's plan crosses from the preparer thread to the service's and is
 * stored as JSON there, about 5 us per step, so this keeps that under 30 ms (repeat covers loops).
 */
export const MAX_OPS_STEPS = 5_000;

export const OpsWorkloadSchema = z.strictObject({
  kind: z.literal('ops'),
  steps: z
    .array(OpsStepSchema)
    .min(1)
    .max(MAX_OPS_STEPS, `at most ${MAX_OPS_STEPS.toLocaleString('en-US')} steps; a step's repeat runs it many times`)
    .meta(
      doc(
        'Calls run in order; each takes its modelled time. The run ends after the last call, or at durationMs when the scenario has faults.',
      ),
    ),
  stopOnError: z.boolean().default(false).meta(doc('Stop at the first step that fails.')),
});

const WORKLOAD_KINDS_BUILT = ['fio', 'net', 'dpdk', 'gpu', 'virtio-mem', 'probe', 'dma-trace', 'ops'] as const;

export const WorkloadSchema = z.discriminatedUnion(
  'kind',
  [
    FioWorkloadSchema,
    NetWorkloadSchema,
    DpdkWorkloadSchema,
    GpuWorkloadSchema,
    VirtioMemWorkloadSchema,
    ProbeWorkloadSchema,
    DmaTraceWorkloadSchema,
    OpsWorkloadSchema,
  ],
  {
    error: (issue) => (issue.code === 'invalid_union' ? `workload.kind must be one of: ${WORKLOAD_KINDS_BUILT.join(', ')}` : undefined),
  },
);

export const CostsSchema = z
  .partialRecord(z.enum(COST_KEYS as [string, ...string[]]), z.number().nonnegative())
  .meta(doc('Overrides of the cost table, in nanoseconds (docs/model.md#default-costs lists every entry).'));

const ScenarioObject = z.strictObject({
  name: z.string().min(1).max(200).meta(doc('Scenario name, shown in the run list.')),
  seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(1).meta(doc('PRNG seed.')),
  durationMs: z
    .number()
    .positive()
    .max(86_400_000)
    .default(1000)
    .meta(doc('Simulated duration in ms (at most a day: EEH scenarios span hours, eeh_max_freezes counts over 3600 s).')),
  host: HostSchema.prefault({}),
  vms: z.array(VmSchema).min(1).max(16).prefault([{}]),
  workload: WorkloadSchema.prefault({ kind: 'fio' }),
  faults: z.array(FaultSchema).max(10_000).default([]).meta(doc('Faults at simulated times (docs/model.md#faults).')),
  costs: CostsSchema.default({}),
  claims: z.array(ClaimSpecSchema).max(64).default([]),
  impliedByVersions: z
    .array(z.string().max(200))
    .max(1024)
    .optional()
    .meta(
      doc(
        'Filled by loading: the switches whose values the versions gave (docs/model.md#versions). A scenario read back implies them again from its versions; setting one makes it explicit.',
      ),
    ),
});

export const ScenarioSchema = ScenarioObject.superRefine(checkReferences);

function checkReferences(s: z.output<typeof ScenarioObject>, ctx: z.RefinementCtx): void {
  const vmNames = new Set<string>();
  s.vms.forEach((vm, i) => {
    if (vmNames.has(vm.name)) ctx.addIssue({ code: 'custom', path: ['vms', i, 'name'], message: `duplicate VM name "${vm.name}"` });
    vmNames.add(vm.name);
  });
  const deviceNames = new Set<string>();
  s.vms.forEach((vm, i) =>
    vm.devices.forEach((d, j) => {
      if (deviceNames.has(d.name)) {
        ctx.addIssue({ code: 'custom', path: ['vms', i, 'devices', j, 'name'], message: `duplicate device name "${d.name}"` });
      }
      deviceNames.add(d.name);
    }),
  );
  if (s.workload.kind === 'fio' && s.workload.device !== undefined && !deviceNames.has(s.workload.device)) {
    ctx.addIssue({ code: 'custom', path: ['workload', 'device'], message: `no device named "${s.workload.device}"` });
  }
  for (const p of workloadReferenceProblems(s)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
}

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type VmConfig = Scenario['vms'][number];
export type DeviceConfig = VmConfig['devices'][number];
export type FioWorkload = z.output<typeof FioWorkloadSchema>;
export type OpsWorkload = z.output<typeof OpsWorkloadSchema>;
