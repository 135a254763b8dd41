// The oracle's configurations: which kernel boots behind which emulated vIOMMU, in which DMA mode,
// reading which device, and the QEMU command line and kernel parameters that make it so. Every
// configuration reads with `dd bs=256k iflag=direct` from the device (ddCount reads).
// Must not: start QEMU (oracleQemu.ts does) or compare anything (oracleCompare.ts does).

import { KERNELS, type KernelKey, type OracleArch } from './oracleKernels';

export type OracleViommu = 'intel-iommu' | 'virtio-iommu' | 's390-zpci' | 'spapr-tce';
export type OracleDevice = 'nvme' | 'virtio-blk';

export interface OracleConfig {
  readonly id: string;
  readonly kernel: KernelKey;
  readonly viommu: OracleViommu;
  /** intel-iommu caching mode (-device intel-iommu,caching-mode=). */
  readonly cachingMode: boolean;
  /** What the command line asks for (iommu.strict=1 / 0); the kernel may decide otherwise. */
  readonly mode: 'strict' | 'lazy';
  readonly device: OracleDevice;
}

export const DD_BLOCK_BYTES = 256 * 1024;
/**
 * Reads per run: 200 from NVMe (one DMA map per request); 50 from virtio-blk, which maps page by
 * page (about 20 maps per read), so its trace, read back through a console under TCG, stays small.
 */
export function ddCount(device: OracleDevice): number {
  return device === 'nvme' ? 200 : 50;
}

function config(
  kernel: KernelKey,
  viommu: OracleViommu,
  cachingMode: boolean,
  mode: 'strict' | 'lazy',
  device: OracleDevice,
): OracleConfig {
  const arch = KERNELS[kernel].arch;
  const vi = viommu === 'intel-iommu' ? `intel-cm${cachingMode ? 'on' : 'off'}` : viommu;
  return { id: `${arch}-${KERNELS[kernel].id}-${vi}-${mode}-${device}`, kernel, viommu, cachingMode, mode, device };
}

/** The full matrix, in the order the report lists it. */
export function oracleMatrix(): OracleConfig[] {
  const out: OracleConfig[] = [];
  for (const kernel of ['x86-6.1', 'x86-6.12'] as const)
    for (const cm of [true, false])
      for (const mode of ['strict', 'lazy'] as const)
        for (const device of ['nvme', 'virtio-blk'] as const) out.push(config(kernel, 'intel-iommu', cm, mode, device));
  for (const mode of ['strict', 'lazy'] as const)
    for (const device of ['nvme', 'virtio-blk'] as const) out.push(config('x86-6.12', 'virtio-iommu', false, mode, device));
  for (const mode of ['strict', 'lazy'] as const) out.push(config('s390x-6.12', 's390-zpci', false, mode, 'virtio-blk'));
  out.push(config('ppc64le-6.12', 'spapr-tce', false, 'strict', 'virtio-blk'));
  return out;
}

/** Kprobes every configuration sets from boot (kprobe_event=): the IOVA allocator's calls and the flush-queue timer. */
const COMMON_KPROBES = [
  'p:pcilab/alloc_iova alloc_iova_fast iovad=$arg1:x64 size=$arg2:u64 limit=$arg3:x64',
  'r:pcilab/alloc_iova_ret alloc_iova_fast pfn=$retval:x64',
  'p:pcilab/free_iova free_iova_fast iovad=$arg1:x64 pfn=$arg2:x64 size=$arg3:u64',
  'p:pcilab/fq_timeout fq_flush_timeout',
];

const ARCH_KPROBES: Record<OracleArch, string[]> = {
  x86_64: [],
  // RPCIT has no tracepoint: zpci_refresh_trans(fn, addr, range).
  s390x: ['p:pcilab/rpcit zpci_refresh_trans fh=$arg1:x64 addr=$arg2:x64 range=$arg3:x64'],
  ppc64le: [],
};

const VIOMMU_KPROBES: Record<OracleViommu, string[]> = {
  'intel-iommu': [],
  // virtio-iommu is a module in Debian's 6.12: MOD:SYM probes register when it loads.
  'virtio-iommu': ['p:pcilab/viommu_flush_all virtio_iommu:viommu_flush_iotlb_all', 'p:pcilab/viommu_sync virtio_iommu:viommu_iotlb_sync'],
  's390-zpci': [],
  'spapr-tce': [],
};

function kprobeParam(list: readonly string[]): string {
  return `kprobe_event=${list.map((k) => k.replace(/ /g, ',')).join(';')}`;
}

export interface GuestLaunch {
  readonly arch: OracleArch;
  readonly console: string;
  readonly out: string;
  readonly devName: string;
  readonly modules: string[];
  readonly cmdline: string;
  /** QEMU arguments besides -kernel, -initrd, -append and the files (filled in by oracleQemu.ts). */
  readonly qemuArgs: (files: { disk: string; out: string; console: string; log: string }) => string[];
}

/** Everything needed to boot one configuration. */
export function guestLaunch(c: OracleConfig): GuestLaunch {
  const arch = KERNELS[c.kernel].arch;
  const devName = c.device === 'nvme' ? 'nvme0n1' : 'vda';
  const modules: string[] = [];
  if (c.viommu === 'virtio-iommu') modules.push('virtio_iommu');
  if (c.device === 'virtio-blk') modules.push('virtio_pci', 'virtio_blk');
  if (c.device === 'nvme') modules.push('nvme');
  const io = { console: '', out: '' };
  if (arch === 'x86_64') Object.assign(io, { console: 'ttyS0', out: '/dev/ttyS1' });
  else if (arch === 's390x') Object.assign(io, { console: 'ttysclp0', out: '/dev/hvc0' });
  else Object.assign(io, { console: 'hvc0', out: '/dev/hvc1' });
  const params = [
    `console=${io.console}`,
    // Every console character is a trapped port write under TCG; dmesg still comes back in the output.
    'quiet',
    'panic=-1',
    `iommu.strict=${c.mode === 'strict' ? 1 : 0}`,
    ...(c.viommu === 'intel-iommu' ? ['intel_iommu=on'] : []),
    // The trace clock stays "local" unless set: a TCG guest's unstable sched clock makes the kernel switch
    // to "global" at late_initcall, which empties the buffer and loses the boot-time events.
    'trace_clock=global',
    // Debian's 6.12 ppc64el kernel stops booting with a 32 MiB boot-time buffer; /init grows it there.
    ...(arch === 'ppc64le' ? [] : ['trace_buf_size=32M']),
    // What the oracle reads and nothing more: the trace comes back through a console. dma:* (Linux >= 6.10)
    // repeats iommu:map / iommu:unmap where dma-iommu runs, so only pseries (its own DMA code) records it.
    `trace_event=${['iommu:map', 'iommu:unmap', 'iommu:io_page_fault', ...(arch === 'ppc64le' ? ['dma:dma_map_page', 'dma:dma_unmap_page', 'dma:dma_alloc', 'dma:dma_free'] : []), ...(c.viommu === 'intel-iommu' ? ['intel_iommu:qi_submit'] : [])].join(',')}`,
    // The pseries DMA code does not use the IOVA allocator; and Debian's 6.12 ppc64el kernel oopses in
    // init_tracer_tracefs (__find_event_file) when kprobe_event= is given at boot.
    ...(arch === 'ppc64le' ? [] : [kprobeParam([...COMMON_KPROBES, ...ARCH_KPROBES[arch], ...VIOMMU_KPROBES[c.viommu]])]),
    `pcilab.dev=${devName}`,
    `pcilab.bs=${DD_BLOCK_BYTES / 1024}k`,
    `pcilab.count=${ddCount(c.device)}`,
    `pcilab.out=${io.out}`,
  ];
  const qemuArgs = (f: { disk: string; out: string; console: string; log: string }): string[] => {
    const drive = ['-drive', `file=${f.disk},if=none,id=d0,format=raw`];
    const blk =
      c.device === 'nvme'
        ? ['-device', 'nvme,drive=d0,serial=pcilab0']
        : ['-device', `virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on`];
    const common = [
      '-smp',
      '2',
      '-m',
      '1G',
      '-nographic',
      '-no-reboot',
      '-nodefaults',
      '-monitor',
      'none',
      '-msg',
      'timestamp=on',
      '-D',
      f.log,
    ];
    const trace = qemuTraceEvents(c).flatMap((t) => ['-trace', t]);
    if (arch === 'x86_64') {
      const viommu =
        c.viommu === 'intel-iommu'
          ? ['-device', `intel-iommu,caching-mode=${c.cachingMode ? 'on' : 'off'},intremap=off`]
          : ['-device', 'virtio-iommu-pci'];
      return [
        '-M',
        'q35,accel=tcg',
        '-cpu',
        'max',
        ...common,
        ...viommu,
        ...drive,
        ...blk,
        '-serial',
        `file:${f.console}`,
        '-serial',
        `file:${f.out}`,
        ...trace,
      ];
    }
    if (arch === 's390x') {
      return [
        '-M',
        's390-ccw-virtio,accel=tcg',
        ...common,
        ...drive,
        ...blk,
        '-device',
        'virtio-serial-ccw',
        '-chardev',
        `file,id=o1,path=${f.out}`,
        '-device',
        'virtconsole,chardev=o1',
        '-serial',
        `file:${f.console}`,
        ...trace,
      ];
    }
    return [
      '-M',
      'pseries,accel=tcg',
      ...common,
      ...drive,
      ...blk,
      '-chardev',
      `file,id=c0,path=${f.console}`,
      '-device',
      'spapr-vty,chardev=c0',
      '-chardev',
      `file,id=o1,path=${f.out}`,
      '-device',
      'spapr-vty,chardev=o1',
      ...trace,
    ];
  };
  return { arch, console: io.console, out: io.out, devName, modules, cmdline: params.join(' '), qemuArgs };
}

/** QEMU's own trace events for the configuration (its -trace patterns). */
export function qemuTraceEvents(c: OracleConfig): string[] {
  const io = c.device === 'nvme' ? ['pci_nvme_read'] : ['virtio_blk_handle_read'];
  switch (c.viommu) {
    case 'intel-iommu':
      return ['vtd_inv_desc_iotlb_pages', 'vtd_inv_desc_iotlb_domain', 'vtd_inv_desc_iotlb_global', ...io];
    case 'virtio-iommu':
      return ['virtio_iommu_map', 'virtio_iommu_unmap', ...io];
    case 's390-zpci':
      return io;
    case 'spapr-tce':
      return [
        'spapr_iommu_pci_put',
        'spapr_iommu_pci_stuff',
        'spapr_iommu_pci_indirect',
        'spapr_iommu_put',
        'spapr_iommu_stuff',
        'spapr_iommu_indirect',
        'spapr_iommu_ddw_*',
        ...io,
      ];
  }
}
