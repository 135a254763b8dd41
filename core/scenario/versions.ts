// Versions as inputs: the QEMU release and machine type, the host kernel and each guest's kernel
// imply the behaviour switches the lab models, as the releases that introduced them do. Each rule
// names the switch it sets, the value each version gives, and its source (commit title and the
// first release that has it). A switch the scenario sets explicitly is never overridden; loading
// fills the absent ones (withVersionDefaults) before validation, and impliedSwitches lists what a
// scenario's versions imply, with the reason, for the configurator, the run page and the CLI.
// Must not: model behaviour (the switches' layers do); read anything but the raw scenario.

export type Version = readonly [number, number, number];

const VERSION = /^(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})(?:\.(0|[1-9][0-9]{0,3}))?$/;

/** "8.0", "6.12.3" -> [8, 0, 0], [6, 12, 3]; null when malformed. */
export function parseVersion(s: string): Version | null {
  const m = VERSION.exec(s);
  return m === null ? null : [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function atLeast(v: Version, s: string): boolean {
  return compareVersions(v, parseVersion(s)!) >= 0;
}

/** The releases the lab's defaults stand for (the newest whose behaviour it models). */
export const DEFAULT_QEMU_VERSION = '10.0';
export const DEFAULT_HOST_KERNEL_VERSION = '6.12';
export const DEFAULT_GUEST_KERNEL_VERSION = '6.12';

type Arch = 'x86_64' | 's390x' | 'ppc64le';

/** The machine type family QEMU runs a guest of each architecture on. */
export const MACHINE_FAMILY: Readonly<Record<Arch, string>> = { x86_64: 'pc-q35', s390x: 's390-ccw-virtio', ppc64le: 'pseries' };

/** The versioned machine type a QEMU release gives by default (the newest it has). */
export function defaultMachine(arch: Arch, qemu: Version): string {
  return `${MACHINE_FAMILY[arch]}-${qemu[0]}.${qemu[1]}`;
}

/** The version of a machine type name ("pseries-4.1" -> [4, 1, 0]), or null. */
export function machineVersion(machine: string): Version | null {
  const m = /-([0-9]+\.[0-9]+)$/.exec(machine);
  return m === null ? null : parseVersion(m[1]!);
}

/** What the rules read: the versions in force for one VM. */
export interface VersionContext {
  readonly arch: Arch;
  readonly backend: string;
  readonly qemu: Version;
  readonly machine: Version;
  readonly hostKernel: Version;
  readonly guestKernel: Version;
}

export interface VersionRule {
  /** The switch, relative to a VM (`vm.`) or the scenario root. */
  readonly path: string;
  /** The architectures whose VMs have this switch. */
  readonly arches: readonly Arch[];
  readonly value: (ctx: VersionContext) => unknown;
  /** Why, with the source: release, commit title, file:function. */
  readonly because: (ctx: VersionContext) => string;
}

const QEMU = 'QEMU';
const LINUX = 'Linux';

/** The rules, one per modelled switch that a release changed. */
export const VERSION_RULES: readonly VersionRule[] = [
  {
    path: 'host.vfio.iovaRangeCheck',
    arches: ['x86_64', 's390x', 'ppc64le'],
    value: (c) => atLeast(c.hostKernel, '5.4'),
    because: (c) =>
      atLeast(c.hostKernel, '5.4')
        ? 'host Linux >= 5.4: type1 refuses a MAP_DMA outside the IOVA list with -EINVAL before any IOMMU driver sees it ("vfio/type1: check dma map request is within a valid iova range", vfio_iommu_iova_dma_valid)'
        : 'host Linux < 5.4: type1 keeps no IOVA list; the IOMMU driver refuses a map beyond its width (intel_iommu_map: "iommu width (%d) is not sufficient for the mapped address", -EFAULT)',
  },
  {
    path: 'vm.viommu.s390.countsDmaAvail',
    arches: ['s390x'],
    value: (c) => atLeast(c.qemu, '5.2') && atLeast(c.hostKernel, '5.10') && c.backend !== 'iommufd',
    because: (c) =>
      !atLeast(c.qemu, '5.2')
        ? `${QEMU} < 5.2 does not read the container's DMA_AVAIL (37fa32de7073 "s390x/pci: Honor DMA limits set by vfio", QEMU 5.2.0)`
        : !atLeast(c.hostKernel, '5.10')
          ? `host ${LINUX} < 5.10 reports no VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL (QEMU then counts nothing)`
          : c.backend === 'iommufd'
            ? `with the iommufd backend QEMU bypasses DMA counting ("s390x/pci: bypass vfio DMA counting when using cdev", QEMU 8.2.0)`
            : `QEMU >= 5.2 with host Linux >= 5.10: dma_avail from DMA_AVAIL (hw/s390x/s390-pci-vfio.c s390_pci_start_dma_count)`,
  },
  {
    path: 'vm.viommu.s390.rpcitSecondPass',
    arches: ['s390x'],
    value: (c) => atLeast(c.qemu, '7.2'),
    because: (c) =>
      `${atLeast(c.qemu, '7.2') ? 'QEMU >= 7.2' : 'QEMU < 7.2 (one pass)'}: 4a8d21ba50fc "s390x/pci: RPCIT second pass when mappings exhausted" (QEMU 7.2.0, s390-pci-inst.c rpcit_service_call)`,
  },
  {
    path: 'vm.viommu.s390.coalescedUnmap',
    arches: ['s390x'],
    value: (c) => atLeast(c.qemu, '8.0'),
    because: (c) =>
      `${atLeast(c.qemu, '8.0') ? 'QEMU >= 8.0' : 'QEMU < 8.0 (one 4 KiB unmap per cached page)'}: ef536007c330 "s390x/pci: coalesce unmap operations" (QEMU 8.0.0, s390_pci_batch_unmap)`,
  },
  {
    path: 'vm.viommu.s390.apertureRestriction',
    arches: ['s390x'],
    value: (c) => atLeast(c.qemu, '8.0') && !(atLeast(c.qemu, '10.0') && atLeast(c.machine, '10.0')),
    because: (c) =>
      !atLeast(c.qemu, '8.0')
        ? 'QEMU < 8.0 reports the host function\'s window unchanged (df202e3ff3fc "s390x/pci: shrink DMA aperture to be bound by vfio DMA limit" is QEMU 8.0.0)'
        : atLeast(c.qemu, '10.0') && atLeast(c.machine, '10.0')
          ? 'QEMU >= 10.0 on s390-ccw-virtio-10.0 or newer offers relaxed translation to passthrough functions and keeps their full window (ISM still shrinks; s390_pci_read_base)'
          : 'QEMU >= 8.0: edma = sdma + dma_avail * 4 KiB - 1 (df202e3ff3fc, s390_pci_read_base; machine types before 10.0 have relaxed-translation off)',
  },
  {
    path: 'vm.viommu.s390.apertureRestrictionIsm',
    arches: ['s390x'],
    value: (c) => atLeast(c.qemu, '8.0'),
    because: (c) =>
      `QEMU ${atLeast(c.qemu, '8.0') ? '>= 8.0 bounds ISM windows by the DMA limit (ISM never gets relaxed translation)' : '< 8.0 reports ISM windows unchanged'} (df202e3ff3fc, s390_pci_read_base)`,
  },
  {
    path: 'vm.viommu.s390.globalFlushRetry',
    arches: ['s390x'],
    value: (c) => atLeast(c.guestKernel, '6.7'),
    because: (c) =>
      `guest ${LINUX} ${atLeast(c.guestKernel, '6.7') ? '>= 6.7 retries a map after -ENOMEM with one global RPCIT' : '< 6.7 has no dma-iommu s390 driver'} ("iommu: Allow .iotlb_sync_map to fail and handle s390's -ENOMEM return", Linux 6.7, s390_iommu_iotlb_sync_map)`,
  },
  {
    path: 'vm.guest.dmaMode',
    arches: ['s390x'],
    value: (c) => (atLeast(c.guestKernel, '6.7') ? undefined : 's390-legacy'),
    because: (c) =>
      atLeast(c.guestKernel, '6.7')
        ? 'guest Linux >= 6.7: s390 uses dma-iommu ("s390/pci: Use dma-iommu layer", Linux 6.7)'
        : 'guest Linux < 6.7: the s390 DMA code of arch/s390/pci/pci_dma.c (bitmap allocator, global flush on wrap)',
  },
  {
    path: 'vm.viommu.virtio.deferredFlush',
    arches: ['x86_64'],
    value: (c) => atLeast(c.guestKernel, '6.8'),
    because: (c) =>
      `guest ${LINUX} ${atLeast(c.guestKernel, '6.8') ? '>= 6.8' : '< 6.8: always strict'}: 6f01a732608f "iommu/virtio: Add ops->flush_iotlb_all and enable deferred flush" (Linux 6.8, viommu_capable)`,
  },
  {
    path: 'vm.viommu.virtio.iotlbSyncMap',
    arches: ['x86_64'],
    value: (c) => atLeast(c.guestKernel, '6.8'),
    because: (c) =>
      `guest ${LINUX} ${atLeast(c.guestKernel, '6.8') ? '>= 6.8: MAP requests queued, one sync per iommu_map' : '< 6.8: every viommu_map_pages sends its MAP synchronously'}: "iommu/virtio: Make use of ops->iotlb_sync_map" (Linux 6.8, the series of 6f01a732608f; viommu_iotlb_sync_map)`,
  },
  {
    path: 'vm.viommu.intel.awBits',
    arches: ['x86_64'],
    value: (c) => (atLeast(c.qemu, '10.0') && atLeast(c.machine, '9.2') ? 48 : 39),
    because: (c) =>
      atLeast(c.qemu, '10.0') && atLeast(c.machine, '9.2')
        ? 'QEMU >= 10.0 with pc-q35-9.2 or newer: 48 ("intel_iommu: Set default aw_bits to 48 starting from QEMU 9.2", pc_compat_9_1)'
        : 'QEMU < 10.0, or a machine type before pc-q35-9.2: 39 (VTD_HOST_AW_39BIT)',
  },
  {
    path: 'vm.viommu.virtio.awBits',
    arches: ['x86_64'],
    value: (c) => (atLeast(c.qemu, '9.0') && atLeast(c.machine, '9.0') ? 39 : 64),
    because: (c) =>
      atLeast(c.qemu, '9.0') && atLeast(c.machine, '9.0')
        ? 'QEMU >= 9.0 on pc-q35-9.0 or newer: 39 ("hw/i386/q35: Set virtio-iommu aw-bits default value to 39")'
        : 'QEMU < 9.0, or a machine type before 9.0 (hw_compat_8_2): 64',
  },
  {
    path: 'vm.viommu.intel.cachingModeForcesStrict',
    arches: ['x86_64'],
    value: (c) => atLeast(c.guestKernel, '5.11'),
    because: (c) =>
      atLeast(c.guestKernel, '5.11')
        ? 'guest Linux >= 5.11 under caching mode: "IOMMU batching disallowed due to virtualization" (29b32839725f, intel_iommu_init -> iommu_set_dma_strict)'
        : 'guest Linux < 5.11 allows lazy flush queues under caching mode',
  },
  {
    path: 'vm.guest.iovaMagazineSize',
    arches: ['x86_64', 's390x', 'ppc64le'],
    value: (c) => (atLeast(c.guestKernel, '6.0') ? 127 : 128),
    because: (c) =>
      `guest Linux ${atLeast(c.guestKernel, '6.0') ? '>= 6.0: 127' : '< 6.0: 128'} ("iommu/iova: change IOVA_MAG_SIZE to 127 to save memory", Linux 6.0)`,
  },
  {
    path: 'vm.guest.nvmeOptMappingClamp',
    arches: ['x86_64', 's390x', 'ppc64le'],
    value: (c) => atLeast(c.guestKernel, '6.4'),
    because: (c) =>
      atLeast(c.guestKernel, '6.4')
        ? 'guest Linux >= 6.4: nvme-pci caps max_hw_sectors at dma_opt_mapping_size (128 KiB under dma-iommu), so larger reads are split (3710e2b056cb "nvme-pci: clamp max_hw_sectors based on DMA optimized limitation")'
        : 'guest Linux < 6.4: an NVMe request up to 4 MiB is one DMA mapping',
  },
  {
    path: 'vm.viommu.spapr.pageShifts',
    arches: ['ppc64le'],
    value: (c) => (atLeast(c.qemu, '4.2') && atLeast(c.machine, '4.2') ? [12, 16, 21, 24] : [12, 16]),
    because: (c) =>
      atLeast(c.qemu, '4.2') && atLeast(c.machine, '4.2')
        ? 'QEMU >= 4.2 on pseries-4.2 or newer: pgsz 4K|64K|2M|16M ("spapr_pci: Allow 2MiB and 16MiB IOMMU pagesizes by default")'
        : 'QEMU < 4.2, or pseries-4.1 and older (spapr_machine_4_1_class_options: pgsz 0x11000): 4K|64K',
  },
  {
    path: 'vm.viommu.spapr.queryReports2M',
    arches: ['ppc64le'],
    value: (c) => atLeast(c.qemu, '7.1'),
    because: (c) =>
      `QEMU ${atLeast(c.qemu, '7.1') ? '>= 7.1 reports 2M (0x100)' : '< 7.1 accepts 2M at create but never reports it'} in ibm,query-pe-dma-window ("ppc/spapr/ddw: Add 2M pagesize", QEMU 7.1.0, spapr_page_mask_to_query_mask)`,
  },
];

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

function versionOr(x: unknown, fallback: string): Version {
  return parseVersion(str(x) ?? fallback) ?? parseVersion(fallback)!;
}

/** The versions in force for each VM of a raw (unvalidated) scenario, defaults filled. */
export function versionContexts(raw: unknown): VersionContext[] {
  const s = isObj(raw) ? raw : {};
  const host = isObj(s['host']) ? s['host'] : {};
  const arch = (['x86_64', 's390x', 'ppc64le'] as const).find((a) => a === host['arch']) ?? 'x86_64';
  const qemuObj = isObj(host['qemu']) ? host['qemu'] : {};
  const vfio = isObj(host['vfio']) ? host['vfio'] : {};
  const qemu = versionOr(qemuObj['version'], DEFAULT_QEMU_VERSION);
  const machine = machineVersion(str(qemuObj['machine']) ?? defaultMachine(arch, qemu)) ?? qemu;
  const hostKernel = versionOr(host['kernelVersion'], DEFAULT_HOST_KERNEL_VERSION);
  const backend = str(vfio['backend']) ?? (arch === 'ppc64le' ? 'spapr-tce-v2' : 'type1v2');
  const vms = Array.isArray(s['vms']) ? s['vms'] : [{}];
  return vms.map((vm) => {
    const guest = isObj(vm) && isObj(vm['guest']) ? vm['guest'] : {};
    return { arch, backend, qemu, machine, hostKernel, guestKernel: versionOr(guest['kernelVersion'], DEFAULT_GUEST_KERNEL_VERSION) };
  });
}

function getPath(root: Obj, keys: readonly string[]): unknown {
  let node: unknown = root;
  for (const k of keys) {
    if (!isObj(node)) return undefined;
    node = node[k];
  }
  return node;
}

/** One switch a VM's versions set, where the scenario leaves it unset. */
export interface Implication {
  /** Scenario path, e.g. "vms.0.viommu.s390.apertureRestriction". */
  readonly path: string;
  readonly value: unknown;
  readonly because: string;
  /** The scenario sets this switch itself: the version's value does not apply. */
  readonly overridden: boolean;
}

/**
 * The scenario field where loading lists the switches it filled from the versions (scenario paths,
 * e.g. "vms.0.viommu.s390.apertureRestriction"). A validated scenario carries it, so one read back
 * (a stored run's, an exported file, a plan's base under a variant's --set) tells an explicit
 * switch from an implied one: the listed ones are implied again from the versions it has then.
 */
export const IMPLIED_FIELD = 'impliedByVersions';

/** Whether `path` (with a VM index) names a switch some version rule implies. */
function isImpliablePath(path: string): boolean {
  const vm = /^vms\.(0|[1-9][0-9]?)\.(.+)$/.exec(path);
  const rel = vm === null ? path : `vm.${vm[2]}`;
  return VERSION_RULES.some((r) => r.path === rel);
}

/** Problems of a scenario's own `impliedByVersions` list (path: message lines; none when absent). */
export function impliedFieldProblems(raw: unknown): string[] {
  if (!isObj(raw) || raw[IMPLIED_FIELD] === undefined) return [];
  const list = raw[IMPLIED_FIELD];
  if (!Array.isArray(list) || list.length > VERSION_RULES.length * 16) {
    return [`${IMPLIED_FIELD}: expected a list of at most ${VERSION_RULES.length * 16} switch paths (loading fills it; leave it out)`];
  }
  const problems: string[] = [];
  list.forEach((p, i) => {
    if (typeof p !== 'string' || !isImpliablePath(p))
      problems.push(`${IMPLIED_FIELD}.${i}: ${JSON.stringify(p)?.slice(0, 80)} is not a switch a version implies`);
  });
  return problems;
}

/**
 * The raw scenario without the switches its `impliedByVersions` lists (and without the list), so
 * its versions imply them again. The input is not modified; call impliedFieldProblems first.
 */
export function withoutVersionImplied(raw: unknown): unknown {
  if (!isObj(raw) || raw[IMPLIED_FIELD] === undefined) return raw;
  const list = raw[IMPLIED_FIELD];
  const out: Obj = { ...raw };
  Reflect.deleteProperty(out, IMPLIED_FIELD);
  if (!Array.isArray(list)) return out;
  for (const p of list) {
    if (typeof p !== 'string' || !isImpliablePath(p)) continue;
    const keys = p.split('.');
    let node: Obj | unknown[] = out;
    let reachable = true;
    for (const k of keys.slice(0, -1)) {
      const next: unknown = Array.isArray(node) ? node[Number(k)] : node[k];
      if (!(isObj(next) || Array.isArray(next))) {
        reachable = false;
        break;
      }
      const copy: Obj | unknown[] = Array.isArray(next) ? [...(next as unknown[])] : { ...next };
      if (Array.isArray(node)) node[Number(k)] = copy;
      else node[k] = copy;
      node = copy;
    }
    if (reachable && isObj(node)) Reflect.deleteProperty(node, keys.at(-1)!);
  }
  return out;
}

/**
 * An override of `path` makes the implied switches it touches explicit: drops them from the list of
 * a scenario (modified in place: applyOverrides works on its own copy).
 */
export function markExplicit(root: unknown, path: string): void {
  if (!isObj(root) || !Array.isArray(root[IMPLIED_FIELD])) return;
  const list = root[IMPLIED_FIELD] as unknown[];
  root[IMPLIED_FIELD] = list.filter((p) => typeof p !== 'string' || !(p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`)));
}

/** What the versions imply for every VM of a raw scenario (also where it is overridden). */
export function impliedSwitches(raw: unknown): Implication[] {
  const s = isObj(raw) ? (withoutVersionImplied(raw) as Obj) : {};
  const vms = Array.isArray(s['vms']) ? s['vms'] : [{}];
  const out: Implication[] = [];
  versionContexts(s).forEach((ctx, i) => {
    const vm = isObj(vms[i]) ? (vms[i] as Obj) : {};
    for (const rule of VERSION_RULES) {
      if (!rule.arches.includes(ctx.arch)) continue;
      const vmRule = rule.path.startsWith('vm.');
      // A scenario-level switch (host kernel, QEMU) is implied once, from the first VM's versions.
      if (!vmRule && i > 0) continue;
      const value = rule.value(ctx);
      if (value === undefined) continue;
      const keys = vmRule ? rule.path.split('.').slice(1) : rule.path.split('.');
      out.push({
        path: vmRule ? `vms.${i}.${keys.join('.')}` : keys.join('.'),
        value,
        because: rule.because(ctx),
        overridden: getPath(vmRule ? vm : s, keys) !== undefined,
      });
    }
  });
  return out;
}

/**
 * The raw scenario with every switch its versions imply filled in where the scenario leaves it
 * unset, and the filled ones listed in `impliedByVersions` (a list the input already has is
 * re-derived first: withoutVersionImplied). The input is not modified: objects on the way to a
 * filled switch are copied, the rest is shared. Runs before validation, like the architecture
 * defaults.
 */
export function withVersionDefaults(input: unknown): unknown {
  if (!isObj(input)) return input;
  const raw = withoutVersionImplied(input) as Obj;
  const implications = impliedSwitches(raw).filter((x) => !x.overridden);
  if (implications.length === 0) return raw;
  const out: Obj = { ...raw };
  const filled: string[] = [];
  const vms: unknown[] = Array.isArray(raw['vms']) ? [...(raw['vms'] as unknown[])] : [{}];
  out['vms'] = vms;
  for (const imp of implications) {
    let node: Obj;
    let keys: string[];
    if (imp.path.startsWith('vms.')) {
      const [, index, ...rest] = imp.path.split('.');
      const i = Number(index);
      if (!isObj(vms[i])) continue;
      node = { ...(vms[i] as Obj) };
      vms[i] = node;
      keys = rest;
    } else {
      node = out;
      keys = imp.path.split('.');
    }
    let reachable = true;
    for (const k of keys.slice(0, -1)) {
      const next = node[k];
      // Something that is not an object sits on the way: validation will say so; leave it.
      if (next !== undefined && !isObj(next)) {
        reachable = false;
        break;
      }
      const copy: Obj = { ...(isObj(next) ? next : {}) };
      node[k] = copy;
      node = copy;
    }
    if (reachable) {
      node[keys.at(-1)!] = imp.value;
      filled.push(imp.path);
    }
  }
  out[IMPLIED_FIELD] = filled;
  return out;
}
