// The reference 002 preset (Alex Williamson on VFIO's map/unmap interface): type1 v1 vs v2
// unmap semantics, virtio-mem's per-block mappings, locked memory charged once per container, and a
// vIOMMU guest mapping per IO against long-lived mappings. One plan; each variant runs the workload
// that shows one point.
// Must not: hold other threads' presets.

import type { Preset } from './presetTypes';
import { TYPE1_UNMAP_STEPS, MEMLOCK_STEPS } from './presetsHost';

const REF002 = 'reference 002 (Alex Williamson, 2021-05-07)';
const MiB = 1024 * 1024;

function workload(w: unknown): string {
  return `workload=${JSON.stringify(w)}`;
}

export const REF002_PRESET: Preset = {
  id: 'vfio-map-unmap-limits',
  title: "VFIO's map/unmap interface: unmap semantics, virtio-mem, locked memory, per-IO mappings",
  summary:
    'Four points of reference 002 in one run: type1 v1 lets an unmap bisect a mapping and v2 does not; virtio-mem plugging 1 GiB at 2 MiB ' +
    'granularity costs 512 VFIO maps; the same memory in two type1 containers is charged twice against RLIMIT_MEMLOCK but once through an ' +
    'iommufd copy; and a vIOMMU guest mapping per IO spends most of its CPU in map/unmap where long-lived mappings spend nothing.',
  thread: REF002,
  scenario: {
    name: 'vfio-map-unmap-limits',
    durationMs: 20,
    host: { arch: 'x86_64', hypervisor: 'kvm' },
    vms: [{ name: 'vm0', vcpus: 4, viommu: { model: 'intel-iommu' }, devices: [{ name: 'nvme0', kind: 'nvme' }] }],
    workload: { kind: 'fio', rw: 'randread', blockSizeBytes: 4096, iodepth: 32, numjobs: 4 },
  },
  variants: [
    {
      name: 'v2',
      description: 'type1 v2 unmap rules (ops)',
      set: ['vms.0.viommu.model=none', workload({ kind: 'ops', steps: TYPE1_UNMAP_STEPS })],
    },
    {
      name: 'v1',
      description: 'type1 v1 unmap rules (ops)',
      set: ['vms.0.viommu.model=none', 'host.vfio.backend=type1v1', workload({ kind: 'ops', steps: TYPE1_UNMAP_STEPS })],
    },
    {
      name: 'virtioMem',
      description: 'virtio-mem plugs 1 GiB at 2 MiB into a vIOMMU-less guest',
      set: ['vms.0.viommu.model=none', 'durationMs=200', workload({ kind: 'virtio-mem', blockSizeBytes: 2 * MiB, plugBytes: 1024 * MiB })],
    },
    {
      name: 'memlock',
      description: 'two type1 containers vs an iommufd copy under a 24 MiB RLIMIT_MEMLOCK (ops)',
      set: ['vms.0.viommu.model=none', `host.vfio.memlockBytes=${24 * MiB}`, workload({ kind: 'ops', steps: MEMLOCK_STEPS })],
    },
    { name: 'perIo', description: 'intel-iommu guest, fio mapping every 4 KiB IO (strict)', set: [] },
    {
      name: 'longLived',
      description: 'intel-iommu guest, DPDK-style mempool mapped once, then IO without maps',
      set: [workload({ kind: 'dpdk', mempoolBytes: 64 * MiB, chunkBytes: 2 * MiB, iodepth: 32, numjobs: 4, blockSizeBytes: 4096 })],
    },
  ],
  claims: [
    {
      id: 'v2-no-bisect',
      text: 'type1 v2 refuses an unmap that would bisect a mapping (EINVAL).',
      source: REF002,
      variant: 'v2',
      step: 3,
      errno: 'EINVAL',
    },
    {
      id: 'v1-bisect-whole',
      text: 'type1 v1 accepts it and removes the whole mapping; the caller learns what was unmapped only from the returned size.',
      source: REF002,
      variant: 'v1',
      step: 3,
      errno: null,
      ret: 65536,
    },
    {
      id: 'virtio-mem-512',
      text: 'virtio-mem: 1 GiB at 2 MiB granularity costs 512 VFIO map calls.',
      source: REF002,
      metric: 'virtioMem:virtioMem.vfioMaps',
      op: '==',
      value: 512,
    },
    {
      id: 'double-charge',
      text: 'The same memory mapped through a second type1 container is charged again (ENOMEM at 24 MiB for 2 x 16 MiB).',
      source: REF002,
      variant: 'memlock',
      step: 1,
      errno: 'ENOMEM',
    },
    {
      id: 'iommufd-once',
      text: 'Through an iommufd copy the same memory is charged once.',
      source: 'L iommufd io_pagetable.c (IOAS_COPY shares the iopt_pages); reference 002 (a super-container handling accounting)',
      metric: 'memlock:vfio.lockedBytesEnd',
      op: '==',
      value: 16 * MiB,
    },
    {
      id: 'per-io-cpu',
      text: 'A vIOMMU guest mapping per IO spends most of its vCPU time in map/unmap and their exits.',
      source: REF002,
      metric: 'perIo:guest.vcpuUtilization',
      op: '>=',
      value: 0.5,
    },
    {
      id: 'long-lived-cheap',
      text: 'With long-lived mappings the guest spends almost nothing there once set up, and moves more data.',
      source: REF002,
      metric: 'longLived:io.iops',
      per: 'perIo:io.iops',
      op: '>',
      value: 2,
    },
  ],
};
