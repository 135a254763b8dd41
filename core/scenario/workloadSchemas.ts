// The scenario schemas of the timed workloads besides fio (docs/model.md#workloads): net, dpdk,
// gpu, virtio-mem and probe. Each field names the real knob it mirrors (fio, pktgen/ethtool, DPDK
// EAL, QEMU's virtio-mem-pci properties) so a user can carry a value over from a real setup.
// Cross-field rules that need only the workload sit in the schema; rules that need the rest of the
// scenario (device and VM names, guest RAM size, a QEMU to run virtio-mem) are in
// workloadReferenceProblems, which schema.ts's checkReferences calls.
// Must not: import schema.ts (it imports this file) or run anything.

import { z } from 'zod';
import { isPowerOfTwo, u64 } from './numbers';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function doc(description: string, mirrors?: string): { description: string; mirrors?: string } {
  return mirrors === undefined ? { description } : { description, mirrors };
}

const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"');

const targetDevice = name.optional().meta(doc('Device the workload drives; default the first device of the first VM.'));

/** Bytes, a positive multiple of 4 KiB. */
const pageBytes = u64.refine((v) => v > 0 && v % (4 * KiB) === 0, 'must be a positive multiple of 4096');

export const NetWorkloadSchema = z.strictObject({
  kind: z.literal('net'),
  device: targetDevice,
  packetRate: z
    .number()
    .positive()
    .max(1e9)
    .default(1e6)
    .meta(doc('Packets per second arriving at the guest, TX and RX together.', 'pktgen "rate"/"ratep"')),
  packetBytes: z.number().int().min(64).max(65536).default(1500).meta(doc('Packet size in bytes.', 'pktgen "pkt_size"')),
  txShare: z.number().min(0).max(1).default(0.5).meta(doc('Share of the packets the guest transmits (the rest it receives).')),
  rxRingEntries: z.number().int().min(1).max(65536).default(1024).meta(doc('RX descriptors, each with one buffer.', 'ethtool -G <if> rx')),
  rxBufferBytes: z
    .number()
    .int()
    .min(64)
    .max(65536)
    .default(2048)
    .meta(doc('Bytes of one RX buffer; page_pool packs 4096 / rxBufferBytes of them into each mapped page.', 'ethtool -G <if> rx-buf-len')),
  txStackNs: z
    .number()
    .int()
    .min(0)
    .max(1e9)
    .default(0)
    .meta(
      doc(
        "CPU time the network stack spends per TX packet outside the DMA API, ns (netperf TCP_STREAM: tcp_sendmsg, the qdisc and the driver's xmit); 0 = only the DMA path costs CPU time.",
      ),
    ),
  rxStackNs: z
    .number()
    .int()
    .min(0)
    .max(1e9)
    .default(0)
    .meta(doc('CPU time the network stack spends per RX packet, ns (NAPI poll, GRO, tcp_v4_rcv); 0 = free.')),
  arrival: z
    .enum(['fixed', 'poisson'])
    .default('fixed')
    .meta(doc('Packet arrivals: evenly spaced, or a Poisson process with the same mean rate (seeded).')),
});

export const DpdkWorkloadSchema = z
  .strictObject({
    kind: z.literal('dpdk'),
    device: targetDevice,
    mempoolBytes: pageBytes.default(GiB).meta(doc('Memory the application maps for DMA at start (its mempools).', 'EAL -m / --socket-mem')),
    chunkBytes: u64
      .refine((v) => isPowerOfTwo(v) && v >= 4 * KiB && v <= GiB, 'must be a power of two from 4096 to 1 GiB')
      .default(2 * MiB)
      .meta(doc('Bytes per DMA mapping: one per hugepage-backed memory segment.', 'hugepage size (hugepagesz=2M / 1G)')),
    iodepth: z.number().int().min(1).max(4096).default(32).meta(doc('IOs each polling core keeps in flight.', 'spdk_nvme_perf -q')),
    blockSizeBytes: z
      .number()
      .int()
      .min(64)
      .max(64 * MiB)
      .default(2048)
      .meta(doc('Bytes per IO (an mbuf or an IO buffer).', 'testpmd --mbuf-size / spdk_nvme_perf -o')),
    numjobs: z.number().int().min(1).max(256).default(1).meta(doc('Polling cores (lcores).', 'EAL -l / spdk_nvme_perf -c')),
  })
  .superRefine((w, ctx) => {
    if (Math.ceil(w.mempoolBytes / w.chunkBytes) > 10_000_000) {
      ctx.addIssue({ code: 'custom', path: ['chunkBytes'], message: 'more than 10,000,000 chunks: use larger chunks' });
    }
  });

export const GpuWorkloadSchema = z
  .strictObject({
    kind: z.literal('gpu'),
    device: targetDevice,
    buffers: z.number().int().min(1).max(1024).default(4).meta(doc('Pinned buffers the application registers for DMA.')),
    bufferBytes: pageBytes.default(GiB).meta(doc('Bytes per buffer.', 'cudaHostAlloc / cudaHostRegister size')),
    transferBytes: u64
      .refine((v) => v > 0, 'must be positive')
      .default(64 * MiB)
      .meta(doc('Bytes the device copies by DMA after each kernel.', 'cudaMemcpyAsync size')),
    kernelUs: z.number().nonnegative().max(1e7).default(500).meta(doc('Compute time of one kernel on the device, us (no DMA).')),
  })
  .superRefine((w, ctx) => {
    if (w.transferBytes > w.bufferBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['transferBytes'],
        message: 'a transfer must fit in one buffer (transferBytes <= bufferBytes)',
      });
    }
  });

/** VIRTIO_MEM_MIN_BLOCK_SIZE (Q hw/virtio/virtio-mem.c). */
const VIRTIO_MEM_MIN_BLOCK_BYTES = MiB;

export const VirtioMemWorkloadSchema = z
  .strictObject({
    kind: z.literal('virtio-mem'),
    vm: name.optional().meta(doc('VM whose virtio-mem device plugs the memory; default the first VM.')),
    blockSizeBytes: u64
      .refine(
        (v) => isPowerOfTwo(v) && v >= VIRTIO_MEM_MIN_BLOCK_BYTES,
        'must be a power of two of at least 1 MiB (VIRTIO_MEM_MIN_BLOCK_SIZE)',
      )
      .default(2 * MiB)
      .meta(doc('Plug granularity: QEMU maps each plugged block into VFIO separately.', 'virtio-mem-pci,block-size=')),
    plugBytes: u64
      .refine((v) => v > 0, 'must be positive')
      .default(GiB)
      .meta(doc('Memory the device is asked to provide (a multiple of blockSizeBytes).', 'virtio-mem-pci,requested-size=')),
    atMs: z.number().nonnegative().max(3_600_000).default(0).meta(doc('When the plug request is made, ms of simulated time.')),
    unplugAtMs: z
      .number()
      .nonnegative()
      .max(3_600_000)
      .nullable()
      .default(null)
      .meta(doc('When everything is unplugged again, ms; null = never.', 'qom-set <dev> requested-size 0')),
    regionGpa: u64
      .optional()
      .meta(doc('Guest-physical start of the device memory; default just above guest RAM, aligned to 1 GiB.', 'virtio-mem-pci,memaddr=')),
  })
  .superRefine((w, ctx) => {
    if (w.unplugAtMs !== null && w.unplugAtMs <= w.atMs) {
      ctx.addIssue({ code: 'custom', path: ['unplugAtMs'], message: 'must be after atMs' });
    }
    // Alignment rules only make sense for a valid block size (its own issue is reported already).
    if (!isPowerOfTwo(w.blockSizeBytes) || w.blockSizeBytes < VIRTIO_MEM_MIN_BLOCK_BYTES) return;
    if (w.plugBytes % w.blockSizeBytes !== 0) {
      ctx.addIssue({ code: 'custom', path: ['plugBytes'], message: 'must be a multiple of blockSizeBytes' });
    }
    if (w.regionGpa !== undefined && w.regionGpa % w.blockSizeBytes !== 0) {
      ctx.addIssue({ code: 'custom', path: ['regionGpa'], message: 'must be aligned to blockSizeBytes (virtio_mem_valid_range)' });
    }
  });

export const ProbeWorkloadSchema = z.strictObject({
  kind: z.literal('probe'),
});

/** One traced DMA call: [time ns, CPU, 0 = map | 1 = unmap, bytes, id]; an unmap names its map's id. */
const DmaTraceOpSchema = z.tuple([
  z.number().int().min(0).max(86_400e9),
  z.number().int().min(0).max(4095),
  z.union([z.literal(0), z.literal(1)]),
  z
    .number()
    .int()
    .min(1)
    .max(2 ** 40),
  z.number().int().min(0),
]);

/** One real event shown beside the replay: [time ns, index into markNames, value]. */
const DmaTraceMarkSchema = z.tuple([z.number().int().min(0).max(86_400e9), z.number().int().min(0), z.number()]);

export const DmaTraceWorkloadSchema = z
  .strictObject({
    kind: z.literal('dma-trace'),
    device: targetDevice,
    source: z.string().max(256).default('trace').meta(doc('Where the trace came from (a file name), shown on the timeline.')),
    ops: z
      .array(DmaTraceOpSchema)
      .max(5_000_000)
      .meta(doc("The traced DMA maps and unmaps in time order, replayed on the guest's DMA API (pcilab import-trace writes them).")),
    markNames: z
      .array(z.string().min(1).max(128))
      .max(256)
      .default([])
      .meta(doc('Names of the real events kept beside the replay: "cpu<N> <event>" or "qemu <event>" (the lane is the prefix).')),
    marks: z
      .array(DmaTraceMarkSchema)
      .max(5_000_000)
      .default([])
      .meta(doc('Real events besides maps and unmaps (invalidations, flushes, QEMU requests).')),
  })
  .superRefine((w, ctx) => {
    if (w.ops.length === 0 && w.marks.length === 0)
      ctx.addIssue({ code: 'custom', path: ['ops'], message: 'a trace needs DMA calls or events' });
    const live = new Set<number>();
    let last = 0;
    w.ops.forEach(([t, , op, , id], i) => {
      if (t < last) ctx.addIssue({ code: 'custom', path: ['ops', i, 0], message: 'ops must be in time order' });
      last = t;
      if (op === 0) {
        if (live.has(id)) ctx.addIssue({ code: 'custom', path: ['ops', i, 4], message: `map id ${id} is already live` });
        live.add(id);
      } else if (!live.delete(id))
        ctx.addIssue({ code: 'custom', path: ['ops', i, 4], message: `unmap of id ${id}, which no live map has` });
    });
    w.marks.forEach(([, n], i) => {
      if (n >= w.markNames.length) ctx.addIssue({ code: 'custom', path: ['marks', i, 1], message: `no mark name ${n}` });
    });
  });

export type NetWorkload = z.output<typeof NetWorkloadSchema>;
export type DpdkWorkload = z.output<typeof DpdkWorkloadSchema>;
export type GpuWorkload = z.output<typeof GpuWorkloadSchema>;
export type VirtioMemWorkload = z.output<typeof VirtioMemWorkloadSchema>;
export type ProbeWorkload = z.output<typeof ProbeWorkloadSchema>;
export type DmaTraceWorkload = z.output<typeof DmaTraceWorkloadSchema>;

/** The parts of a scenario the reference checks read (structural, so this file needs no schema.ts). */
export interface WorkloadReferenceView {
  readonly host: { readonly hypervisor: string };
  readonly vms: readonly { readonly name: string; readonly memoryBytes: number; readonly devices: readonly { readonly name: string }[] }[];
  readonly workload: { readonly kind: string };
}

export interface WorkloadProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Problems of this file's workloads that need the rest of the scenario (empty for other kinds). */
export function workloadReferenceProblems(s: WorkloadReferenceView): WorkloadProblem[] {
  const problems: WorkloadProblem[] = [];
  const vmOfDevice = (device: string | undefined) =>
    device === undefined ? s.vms[0] : s.vms.find((vm) => vm.devices.some((d) => d.name === device));
  const checkDevice = (device: string | undefined) => {
    if (device !== undefined && vmOfDevice(device) === undefined) {
      problems.push({ path: ['workload', 'device'], message: `no device named "${device}"` });
    }
    return vmOfDevice(device);
  };
  const fitRam = (bytes: number, vm: WorkloadReferenceView['vms'][number] | undefined, field: string, what: string) => {
    if (vm !== undefined && bytes > vm.memoryBytes) {
      problems.push({ path: ['workload', field], message: `${what} must fit in the guest RAM of ${vm.name} (${vm.memoryBytes} bytes)` });
    }
  };
  const kind = s.workload.kind;
  if (kind === 'net') checkDevice((s.workload as NetWorkload).device);
  else if (kind === 'dma-trace') checkDevice((s.workload as DmaTraceWorkload).device);
  else if (kind === 'dpdk') {
    const w = s.workload as DpdkWorkload;
    fitRam(w.mempoolBytes, checkDevice(w.device), 'mempoolBytes', 'the mempool');
  } else if (kind === 'gpu') {
    const w = s.workload as GpuWorkload;
    fitRam(w.buffers * w.bufferBytes, checkDevice(w.device), 'bufferBytes', 'buffers x bufferBytes');
  } else if (kind === 'virtio-mem') {
    const w = s.workload as VirtioMemWorkload;
    if (w.vm !== undefined && !s.vms.some((vm) => vm.name === w.vm))
      problems.push({ path: ['workload', 'vm'], message: `no VM named "${w.vm}"` });
    // virtio-mem is a QEMU device: s390 LPAR and z/VM guests and a bare-metal host run without QEMU.
    if (s.host.hypervisor === 'lpar' || s.host.hypervisor === 'zvm' || s.host.hypervisor === 'bare-metal') {
      problems.push({
        path: ['workload', 'kind'],
        message: `virtio-mem needs QEMU; hypervisor "${s.host.hypervisor}" runs the guest without it`,
      });
    }
  }
  return problems;
}
