// `pcilab explain`: a kernel or QEMU log line people paste into bug reports, matched to the
// mechanism the lab models, the limit it ran into, the knobs that move it and the preset that
// reproduces it, with the numbers the line carries (the RLIMIT_MEMLOCK value, the errno, the
// maximum number of DMA mappings) turned into `--set` overrides. Each pattern cites the function
// whose format string prints the line (L = Linux, Q = QEMU), so the table can be checked against
// the source.
// Must not: run anything or read files; the table holds wording and explanations, never results.

import { LINUX_ERRNO, LINUX_STRERROR, type LinuxErrnoName } from '../model/base/errno';

export interface LogKnob {
  /** A scenario path `pcilab run --set` accepts, or a host/QEMU setting outside the scenario. */
  readonly path: string;
  readonly what: string;
}

export interface LogExplanation {
  /** The table row that matched. */
  readonly pattern: string;
  /** Who printed the line: the host kernel, QEMU, or another VMM. */
  readonly printedBy: 'kernel' | 'qemu' | 'vmm';
  /** The function whose format string prints it. */
  readonly source: string;
  readonly mechanism: string;
  readonly limit: string;
  readonly knobs: readonly LogKnob[];
  /** The preset (and variant) that reproduces it; null when the lab has none. */
  readonly preset: string | null;
  readonly variant: string | null;
  /** Numbers the line carries, by name (bytes, errno, mappings...). */
  readonly numbers: Readonly<Record<string, number>>;
  /** errno name when the line carries one. */
  readonly errno: LinuxErrnoName | null;
  /** Scenario overrides with the line's numbers. */
  readonly set: readonly string[];
  /** `pcilab run <preset> --set ...`, or null without a preset. */
  readonly command: string | null;
}

/** What the mechanism behind a failed VFIO_IOMMU_MAP_DMA is, by errno (L vfio_iommu_type1.c vfio_dma_do_map). */
interface ErrnoMechanism {
  readonly mechanism: string;
  readonly limit: string;
  readonly knobs: readonly LogKnob[];
  readonly preset: string | null;
  readonly variant: string | null;
}

const MEMLOCK_KNOBS: readonly LogKnob[] = [
  {
    path: 'host.vfio.memlockBytes',
    what: "RLIMIT_MEMLOCK of the QEMU process (ulimit -l, libvirt <memtune><hard_limit>, KubeVirt's memlock sizing)",
  },
  { path: 'host.vfio.capIpcLock', what: 'CAP_IPC_LOCK: type1 skips the limit check for a process that has it' },
  { path: 'vms.0.memoryBytes', what: 'guest RAM: without a vIOMMU all of it is pinned and charged at start' },
];

const MEMLOCK: ErrnoMechanism = {
  mechanism:
    'VFIO type1 pins every page of a MAP_DMA and charges it to the process locked_vm (vfio_pin_pages_remote, vfio_lock_acct); ' +
    'without a vIOMMU QEMU maps all guest RAM when the container is set up, so the limit must hold all of it (per container: each one charges again)',
  limit: 'RLIMIT_MEMLOCK of the QEMU process (bytes), unless it has CAP_IPC_LOCK',
  knobs: MEMLOCK_KNOBS,
  preset: 'field-memlock-too-small',
  variant: 'tooSmall',
};

const BY_ERRNO: Partial<Record<LinuxErrnoName, ErrnoMechanism>> = {
  ENOMEM: MEMLOCK,
  EEXIST: {
    mechanism:
      'VFIO type1 refuses a MAP_DMA whose IOVA range overlaps a mapping already in the container (vfio_dma_do_map: vfio_find_dma -> -EEXIST); ' +
      'devices sharing one container share one IOVA space, so a second device mapping the same range fails',
    limit: 'one mapping per IOVA in a container',
    knobs: [
      { path: 'workload.steps', what: 'map each range once per container, or give the second device its own container' },
      { path: 'host.vfio.backend', what: 'the container type (type1 v1/v2, iommufd compat: IOAS_MAP also refuses an overlap)' },
    ],
    preset: 'field-second-map-eexist',
    variant: 'shared',
  },
  ENOSPC: {
    mechanism:
      "VFIO type1 caps the mappings of one container at dma_entry_limit (vfio_dma_do_map: !iommu->dma_avail -> -ENOSPC); virtio-mem's RamDiscardListener maps every plugged block on its own, and a vIOMMU guest maps per IO",
    limit: 'vfio_iommu_type1.dma_entry_limit (65535 by default) mappings per container',
    knobs: [
      { path: 'host.vfio.dmaEntryLimit', what: 'the module parameter vfio_iommu_type1.dma_entry_limit' },
      { path: 'workload.blockSizeBytes', what: "virtio-mem's block-size: fewer, larger mappings" },
    ],
    preset: 'field-virtio-mem-entries',
    variant: 'small',
  },
  EINVAL: {
    mechanism:
      'VFIO type1 refuses a MAP_DMA outside the IOVA ranges the host IOMMU can map (vfio_iommu_iova_dma_valid: the aperture minus reserved regions such as the MSI window), or unaligned to the IOMMU page size',
    limit: "the host IOMMU's valid IOVA ranges (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)",
    knobs: [
      { path: 'host.iommu.apertureLast', what: "the host IOMMU's last IOVA (address width)" },
      { path: 'host.iommu.reservedRegions', what: 'reserved regions carved out of the aperture' },
    ],
    preset: 'field-iova-outside-ranges',
    variant: 'outside',
  },
  EFAULT: {
    mechanism:
      'pinning the user pages behind the mapping failed: vaddr is not mapped in the process (pin_user_pages_remote), or (intel-iommu) the IOVA is beyond the domain address width (intel_iommu_map)',
    limit: 'the mapped address range of the process / the IOMMU domain width',
    knobs: [{ path: 'host.iommu.apertureLast', what: "the host IOMMU's last IOVA (address width)" }],
    preset: null,
    variant: null,
  },
};

const ERRNO_BY_NUMBER = new Map<number, LinuxErrnoName>(Object.entries(LINUX_ERRNO).map(([k, v]) => [v, k as LinuxErrnoName]));
const ERRNO_BY_TEXT = new Map<string, LinuxErrnoName>(
  Object.entries(LINUX_STRERROR).map(([k, v]) => [v.toLowerCase(), k as LinuxErrnoName]),
);

function errnoOf(n: number): LinuxErrnoName | null {
  return ERRNO_BY_NUMBER.get(Math.abs(n)) ?? null;
}

interface Row {
  readonly id: string;
  readonly printedBy: LogExplanation['printedBy'];
  readonly source: string;
  readonly re: RegExp;
  /** The explanation for a match (m: the regexp's groups). */
  readonly explain: (m: RegExpExecArray) => Omit<LogExplanation, 'pattern' | 'printedBy' | 'source' | 'command'>;
}

function fromErrno(errno: LinuxErrnoName | null, numbers: Record<string, number>, set: string[] = []) {
  const m = errno === null ? undefined : BY_ERRNO[errno];
  if (m === undefined) {
    return {
      mechanism: `a VFIO map failed with ${errno ?? 'an errno'} the lab has no field report for`,
      limit: 'unknown',
      knobs: [],
      preset: null,
      variant: null,
      numbers,
      errno,
      set,
    };
  }
  return { ...m, numbers, errno, set };
}

const HEX = '(?:0x)?[0-9a-f]+';

/** The IOVA and size a BAR map line carries; the size as devices[].barBytes when it can be one (a power of two, 4 KiB to 64 TiB). */
function barNumbers(iovaHex: string | undefined, sizeHex: string | undefined): { numbers: Record<string, number>; set: string[] } {
  const numbers: Record<string, number> = { errno: 12 };
  if (iovaHex === undefined || sizeHex === undefined) return { numbers, set: [] };
  const size = parseInt(sizeHex, 16);
  numbers['iova'] = parseInt(iovaHex, 16);
  numbers['size'] = size;
  const bar = size >= 4096 && size <= 2 ** 46 && Number.isInteger(Math.log2(size));
  return { numbers, set: bar ? [`vms.0.devices.0.barBytes=${size}`] : [] };
}

/** The table: most specific first. */
const ROWS: readonly Row[] = [
  {
    id: 'type1-rlimit-memlock',
    printedBy: 'kernel',
    source: 'L drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote (pr_warn "%s: RLIMIT_MEMLOCK (%ld) exceeded", limit << PAGE_SHIFT)',
    re: /vfio_pin_pages(?:_remote)?: RLIMIT_MEMLOCK \((\d+)\) exceeded/i,
    explain: (m) => {
      const bytes = Number(m[1]);
      return { ...MEMLOCK, numbers: { memlockBytes: bytes }, errno: 'ENOMEM', set: [`host.vfio.memlockBytes=${bytes}`] };
    },
  },
  {
    id: 'virtio-mem-dma-mappings',
    printedBy: 'qemu',
    source:
      'Q hw/vfio/listener.c vfio_register_ram_discard_listener / vfio_ram_discard_register_listener ("%s: possibly running out of DMA mappings. E.g., try increasing the \'block-size\' of virtio-mem devies. Maximum possible DMA mappings: %d, Maximum possible memslots: %d")',
    re: /possibly running out of DMA mappings\.(?: E\.g\., try increasing the 'block-size' of virtio-mem devi(?:c)?es\.)?\s*Maximum (?:possible|number of) DMA mappings: (\d+)(?:, Maximum possible memslots: (\d+))?/i,
    explain: (m) => {
      const mappings = Number(m[1]);
      const numbers: Record<string, number> = { dmaMaxMappings: mappings };
      if (m[2] !== undefined) numbers['maxMemslots'] = Number(m[2]);
      return {
        mechanism:
          "QEMU's RamDiscardListener maps each plugged virtio-mem block with its own VFIO_IOMMU_MAP_DMA (vfio_ram_discard_notify_populate); at registration it warns when the blocks the device could plug plus the memslots exceed the container's DMA_AVAIL. Plugging then fails with -ENOSPC once dma_entry_limit mappings exist",
        limit: 'vfio_iommu_type1.dma_entry_limit (the container reports it as DMA_AVAIL; 65535 by default)',
        knobs: BY_ERRNO.ENOSPC!.knobs,
        preset: 'field-virtio-mem-entries',
        variant: 'small',
        numbers,
        errno: null,
        set: [`host.vfio.dmaEntryLimit=${mappings}`],
      };
    },
  },
  {
    id: 'intel-iommu-width',
    printedBy: 'kernel',
    source:
      'L drivers/iommu/intel/iommu.c intel_iommu_map / intel_iommu_attach_device (pr_err "%s: iommu width (%d) is not sufficient for the mapped address (%llx)", -EFAULT)',
    re: /iommu width \((\d+)\) is not sufficient for the mapped address \((?:0x)?([0-9a-f]+)\)/i,
    explain: (m) => {
      const width = Number(m[1]);
      const address = parseInt(m[2]!, 16);
      return {
        mechanism:
          "the host intel-iommu domain translates only addresses below 2^width: mapping guest RAM or a BAR above it fails with -EFAULT (a guest whose RAM or 64-bit BARs lie above 2^39 on a 39-bit IOMMU). type1 reaches intel_iommu_map with such a map only before Linux 5.4; later kernels refuse it first with -EINVAL (vfio_iommu_iova_dma_valid). A nested host whose IOMMU is QEMU's intel-iommu has 39 bits by default before QEMU 10.0 (and on machine types before pc-q35-9.2): aw-bits=48 fixes it",
        limit: `the IOMMU address width (${width} bits: last IOVA 2^${width} - 1)`,
        knobs: [
          { path: 'host.iommu.apertureLast', what: "the host IOMMU's last IOVA (2^width - 1)" },
          { path: 'vms.0.viommu.intel.awBits', what: "a guest vIOMMU's width (QEMU intel-iommu aw-bits=48)" },
          {
            path: 'host.vfio.iovaRangeCheck',
            what: "type1's IOVA-list check (Linux >= 5.4): on, the same map is refused with EINVAL first",
          },
        ],
        preset: 'field-iova-outside-ranges',
        variant: 'oldKernel',
        numbers: { widthBits: width, address },
        errno: 'EFAULT',
        set: [`host.iommu.apertureLast=${2 ** width - 1}`, 'host.vfio.iovaRangeCheck=false'],
      };
    },
  },
  {
    id: 'bar-map-memlock',
    printedBy: 'qemu',
    source:
      'Q hw/vfio/listener.c vfio_listener_region_add (ram_device: warn_report_err_once "vfio_container_dma_map(...) = %d (%s)", QEMU >= 10.0) over NV-Kernels linux-nvidia 6.14/6.17 iommufd pfn_reader_user_pin',
    re: /warning: vfio_(?:container_)?dma_map\([^,)]*(?:, (0x[0-9a-f]+), (0x[0-9a-f]+), [^)]*)?\) = -12\b/i,
    explain: (m) => ({
      mechanism:
        "a device BAR (a ram_device region: only ram_device map failures are warnings) could not be mapped for lack of locked memory. type1 never charges a BAR: its VM_PFNMAP pages have no struct page (vaddr_get_pfns: is_invalid_reserved_pfn), and upstream iommufd cannot pin it at all (-EFAULT). The linux-nvidia 6.14 / 6.17 kernels' iommufd follows the PFNMAP VMA (pfn_reader_user_pin: follow_fault_pfn) and charges the BAR's bytes to RLIMIT_MEMLOCK like RAM (iopt_pages_update_pinned), so a GPU's large BAR under an unprivileged QEMU fails with ENOMEM; QEMU carries on without peer-to-peer DMA to the BAR (NVIDIA/NV-Kernels#248/#249)",
      limit: 'RLIMIT_MEMLOCK of the QEMU process (bytes), which the charging kernel makes hold guest RAM + the BARs',
      knobs: [
        {
          path: 'host.iommufd.pfnmap',
          what: 'the kernel: charge (linux-nvidia), noCharge (the change NV-Kernels#248/#249 proposed), refuse (upstream)',
        },
        { path: 'host.vfio.backend', what: 'type1 maps the BAR without a charge' },
        ...MEMLOCK_KNOBS.slice(0, 2),
        { path: 'vms.0.devices.0.barBytes', what: "the GPU's BAR that QEMU maps for peer-to-peer DMA" },
      ],
      preset: 'field-iommufd-bar-memlock',
      variant: 'charged',
      ...barNumbers(m[1], m[2]),
      errno: 'ENOMEM',
    }),
  },
  {
    id: 'ioas-map-pci-bar',
    printedBy: 'qemu',
    source:
      'Q backends/iommufd.c iommufd_backend_map_dma / iommufd_backend_map_file_dma (warn_report "IOMMU_IOAS_MAP failed: %m, PCI BAR?" on EFAULT)',
    re: /IOMMU_IOAS_MAP(?:_FILE)? failed: Bad address, PCI BAR\?/i,
    explain: () => ({
      mechanism:
        'upstream iommufd pins user pages with pin_user_pages, which refuses a VM_PFNMAP VMA (check_vma_flags: -EFAULT): the device BAR QEMU mmapped from vfio-pci cannot be mapped by its address, so QEMU warns and carries on without peer-to-peer DMA to that BAR (type1 maps it by following the VMA). Later kernels and QEMU map a BAR through a dma-buf instead (VFIO_DEVICE_FEATURE_DMA_BUF, IOMMU_IOAS_MAP_FILE), which the lab does not model',
      limit: 'none: iommufd cannot pin device memory by its user address',
      knobs: [
        { path: 'host.vfio.backend', what: 'type1 maps the BAR (not charged)' },
        { path: 'host.iommufd.pfnmap', what: 'refuse (upstream), or a linux-nvidia kernel that follows PFNMAP VMAs (charge / noCharge)' },
      ],
      preset: 'field-iommufd-bar-memlock',
      variant: 'upstream',
      numbers: { errno: 14 },
      errno: 'EFAULT',
      set: [],
    }),
  },
  {
    id: 'bar-p2p-unsupported',
    printedBy: 'qemu',
    source:
      'Q hw/vfio vfio_device_error_append (error_append_hint "%s: PCI peer-to-peer transactions on BARs are not supported.", QEMU >= 10.0)',
    re: /PCI peer-to-peer transactions on BARs are not supported/i,
    explain: () => ({
      mechanism:
        "QEMU could not map a device BAR (a ram_device region) into the container and, as for every BAR, only warns: the guest runs, but another device cannot DMA to that BAR. The map error on the line before says why: -12 RLIMIT_MEMLOCK (an iommufd kernel that charges the VM_PFNMAP BAR), -14 upstream iommufd (a PFNMAP VMA cannot be pinned), -22 the BAR lies outside the IOMMU's valid IOVA ranges",
      limit: "RLIMIT_MEMLOCK, iommufd's PFNMAP support, or the IOMMU's address width, by errno",
      knobs: [
        { path: 'host.iommufd.pfnmap', what: 'what the kernel does with a PFNMAP range' },
        { path: 'host.vfio.backend', what: 'type1 maps BARs without a charge' },
        { path: 'host.iommu.apertureLast', what: "the host IOMMU's last IOVA" },
      ],
      preset: 'field-iommufd-bar-memlock',
      variant: 'charged',
      numbers: {},
      errno: null,
      set: [],
    }),
  },
  {
    id: 'qemu-dma-map-errno',
    printedBy: 'qemu',
    source:
      'Q hw/vfio/listener.c vfio_listener_region_add / vfio_iommu_map_notify (error "vfio_container_dma_map(%p, 0x%"HWADDR_PRIx", 0x%"HWADDR_PRIx", %p) = %d (%s)"; before QEMU 9.0 "vfio_dma_map(...)", b08501a999e2)',
    re: new RegExp(
      `vfio_(?:container_)?dma_map\\((?:${HEX}|\\(nil\\)|\\.\\.\\.)(?:, (${HEX}), (${HEX}), (?:${HEX}|\\(nil\\)))?\\) = (-?\\d+)(?: \\(([^)]*)\\))?`,
      'i',
    ),
    explain: (m) => {
      const errno = errnoOf(Number(m[3]));
      const numbers: Record<string, number> = { errno: Math.abs(Number(m[3])) };
      if (m[1] !== undefined) numbers['iova'] = parseInt(m[1], 16);
      if (m[2] !== undefined) numbers['size'] = parseInt(m[2], 16);
      return fromErrno(errno, numbers);
    },
  },
  {
    id: 'qemu-vfio-map-dma-ioctl',
    printedBy: 'qemu',
    source:
      'Q hw/vfio/container.c vfio_legacy_dma_map (error_report "VFIO_MAP_DMA failed: %s"; before QEMU 5.2 "VFIO_MAP_DMA: %d" with -errno)',
    re: /VFIO_MAP_DMA(?: failed)?:? (-?\d+|[A-Za-z][A-Za-z /-]*)/,
    explain: (m) => {
      const raw = m[1]!.trim();
      const errno = /^-?\d+$/.test(raw) ? errnoOf(Number(raw)) : (ERRNO_BY_TEXT.get(raw.toLowerCase()) ?? null);
      return fromErrno(errno, errno === null ? {} : { errno: LINUX_ERRNO[errno] });
    },
  },
  {
    id: 'cloud-hypervisor-dma-map',
    printedBy: 'vmm',
    source:
      'Cloud Hypervisor vfio-ioctls VfioContainer::vfio_dma_map (VfioError::IommuDmaMap(io::Error) from the VFIO_IOMMU_MAP_DMA ioctl)',
    re: /IommuDmaMap\((?:Os \{ code: |Error\()(\d+)/,
    explain: (m) => fromErrno(errnoOf(Number(m[1])), { errno: Number(m[1]) }),
  },
  {
    id: 'memlock-per-device-container',
    printedBy: 'qemu',
    source:
      'Q hw/vfio/listener.c vfio_listener_region_add ("vfio_container_dma_map(...) = -12 (Cannot allocate memory)") over L drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote ("RLIMIT_MEMLOCK (%ld) exceeded")',
    re: /vfio_(?:container_)?dma_map\([^)]*\) = -12\b|RLIMIT_MEMLOCK \(\d+\) exceeded/i,
    explain: () => ({
      mechanism:
        "the same RLIMIT_MEMLOCK refusal when the guest has a vIOMMU and several passed-through devices: each device has its own DMA address space, so its own container (or iommufd IOAS), and before the guest enables translation QEMU maps all guest RAM into every one (intel-iommu's no-DMAR alias, vtd_switch_address_space); type1 charges each container's pins to locked_vm, so the limit must hold devices x guest RAM (libvirt's qemuDomainGetMemLockLimitBytes since 8.7.0: devices x RAM + 1 GiB). Hugepages and iommufd do not lower it",
      limit: 'RLIMIT_MEMLOCK of the QEMU process (bytes) against devices x guest RAM',
      knobs: [
        ...MEMLOCK_KNOBS,
        { path: 'vms.0.devices', what: 'passed-through devices: with a vIOMMU each charges all guest RAM at start' },
        { path: 'vms.0.viommu.model', what: 'without a vIOMMU the devices share one container: guest RAM charged once' },
      ],
      preset: 'field-viommu-memlock-per-device',
      variant: 'oneX',
      numbers: {},
      errno: 'ENOMEM',
      set: [],
    }),
  },
  {
    id: 'qemu-listener-init',
    printedBy: 'qemu',
    source:
      'Q hw/vfio/container.c vfio_connect_container / hw/vfio/iommufd.c iommufd_cdev_attach (error_propagate_prepend "memory listener initialization failed: ")',
    re: /memory listener initialization failed/i,
    explain: () => ({
      ...MEMLOCK,
      mechanism:
        'QEMU could not map guest RAM into the container when it set it up (the listener replays all RAM sections), so the device is not realized and QEMU exits. The errno after "vfio_container_dma_map(...) =" says why: -12 RLIMIT_MEMLOCK, -22 outside the valid IOVA ranges, -28 dma_entry_limit',
      numbers: {},
      errno: null,
      set: [],
    }),
  },
];

/** Every explanation the line matches, most specific first (empty when none does). */
export function explainLogLine(line: string): LogExplanation[] {
  const out: LogExplanation[] = [];
  for (const row of ROWS) {
    const m = row.re.exec(line);
    if (m === null) continue;
    const e = row.explain(m);
    out.push({
      pattern: row.id,
      printedBy: row.printedBy,
      source: row.source,
      ...e,
      command: e.preset === null ? null : runCommand(e.preset, e.set),
    });
  }
  return out;
}

function runCommand(preset: string, set: readonly string[]): string {
  return ['pcilab run', preset, ...set.map((s) => `--set ${s}`)].join(' ');
}

/** The patterns, for listings and tests. */
export const LOG_PATTERNS: readonly { readonly id: string; readonly source: string }[] = ROWS.map((r) => ({ id: r.id, source: r.source }));
