// The `vfio.*` ops of an ops script (docs/model.md#ops-scripts): MAP_DMA, UNMAP_DMA, GET_INFO and a
// group attach on a container named by `container` (default "container0"), created on first use
// from the scenario's host.vfio settings and sharing the run's host process (one locked-memory
// budget).
// Must not: model any kernel behaviour (the container does) or throw for a simulated failure.

import { z } from 'zod';
import { EINVAL, ENOENT, LINUX_ERRNO, linuxErrnoName, type LinuxErrnoName } from '../model/base/errno';
import { vfioMapDmaFailed } from '../model/base/logLines';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  type VfioContainerApi,
} from '../model/vfio/vfioContainerApi';
import { VfioType1Container } from '../model/vfio/vfioType1';
import { createVfioContainer } from '../stack/hostContainers';

import { toHexOrNumber, u64 } from '../scenario/numbers';
import { PAGE_SIZE } from '../model/base/pages';
import { defineOp, repeatArg, type OpDefinition, type OpOutcome, type OpsEnvironment } from './opTypes';

const DEFAULT_CONTAINER = 'container0';

const containerName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"')
  .default(DEFAULT_CONTAINER)
  .meta({ description: 'Container the call goes to; created on first use with the scenario host settings.' });

/** Raw ioctl flag bits OR-ed into the call (a __u32), e.g. VFIO_DMA_MAP_FLAG_VADDR = 4. */
const rawFlags = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1)
  .default(0);

function containerOf(env: OpsEnvironment, name: string): VfioContainerApi {
  return env.instance(`vfio:${name}`, () => createVfioContainer(env, name));
}

/**
 * The errno of VFIO_SET_IOMMU when the first group could not be attached (EPERM without interrupt
 * remapping): QEMU stops there, so every op on that container reports it. The container itself
 * answers later ioctls with -EINVAL, as the kernel does for a container without an IOMMU driver.
 */
function setupErrnoOf(c: VfioContainerApi): number {
  return c instanceof VfioType1Container ? c.setupErrno : 0;
}

function outcome(c: VfioContainerApi, errno: number, ret: unknown): OpOutcome {
  const setup = setupErrnoOf(c);
  const e = setup !== 0 ? setup : errno;
  const why =
    e === 0
      ? null
      : setup !== 0
        ? `VFIO_SET_IOMMU could not attach the first group (${linuxErrnoName(setup) ?? setup}): QEMU stops there`
        : (c.lastWhy ?? null);
  return { ok: e === 0, errno: linuxErrnoName(e), ret: e === 0 ? ret : null, costNs: c.lastCostNs, lane: c.laneName, why };
}

/** An inclusive range end: above 2^53 the double is the rounded exclusive end k*4096, so print k*4096-1 exactly. */
function inclusiveEndHex(end: number): number | string {
  return Number.isSafeInteger(end) ? end : '0x' + (BigInt(end) - 1n).toString(16);
}

const mapOp = defineOp({
  name: 'vfio.map',
  layer: 'vfio',
  summary: 'VFIO_IOMMU_MAP_DMA: pin [vaddr, vaddr+size) and map it at iova',
  args: z.strictObject({
    iova: u64,
    vaddr: u64,
    size: u64,
    read: z.boolean().default(true),
    write: z.boolean().default(true),
    flags: rawFlags,
    container: containerName,
  }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const flags = ((a.read ? VFIO_DMA_MAP_FLAG_READ : 0) | (a.write ? VFIO_DMA_MAP_FLAG_WRITE : 0) | a.flags) >>> 0;
    const o = outcome(c, c.mapDma(a.iova, a.vaddr, a.size, flags), null);
    if (o.ok || o.errno === null) return o;
    // dmesg (vfio_pin_pages_remote's warning) and the caller's report of the failed ioctl.
    return { ...o, log: { kernel: c.lastKernelLog ?? null, caller: vfioMapDmaFailed(LINUX_ERRNO[o.errno as LinuxErrnoName]) } };
  },
  // Single-page maps whose iova and vaddr both advance a page per call: the container maps the
  // stretch that would succeed one by one (VfioContainerApi.mapDmaRun, as QEMU's shadowing uses it).
  // The container steps both addresses a page per call itself: exact while they stay safe integers.
  runRepeat: (env, a, add, from, count, costNs) => {
    if (a.size !== PAGE_SIZE || add.iova !== PAGE_SIZE || add.vaddr !== PAGE_SIZE || Object.keys(add).length !== 2) return null;
    const iova = repeatArg(a, add, 'iova', from);
    const vaddr = repeatArg(a, add, 'vaddr', from);
    const safe = (v: number): boolean => Number.isSafeInteger(v) && Number.isSafeInteger(v + count * PAGE_SIZE);
    if (!Number.isSafeInteger(a.iova) || !Number.isSafeInteger(a.vaddr) || !safe(iova) || !safe(vaddr)) return null;
    const c = containerOf(env, a.container);
    const flags = ((a.read ? VFIO_DMA_MAP_FLAG_READ : 0) | (a.write ? VFIO_DMA_MAP_FLAG_WRITE : 0) | a.flags) >>> 0;
    const n = c.mapDmaRun(iova, vaddr, count, flags);
    if (n === 0) return null;
    const perCall = c.lastCostNs;
    let total = costNs;
    for (let k = 0; k < n; k++) total += perCall;
    return { calls: n, costNs: total, ret: null, lane: c.laneName };
  },
});

const unmapOp = defineOp({
  name: 'vfio.unmap',
  layer: 'vfio',
  summary: 'VFIO_IOMMU_UNMAP_DMA: remove mappings in [iova, iova+size), or all with `all`; ret = bytes unmapped',
  args: z.strictObject({
    iova: u64.default(0),
    size: u64.default(0),
    all: z.boolean().default(false),
    flags: rawFlags,
    container: containerName,
  }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const flags = ((a.all ? VFIO_DMA_UNMAP_FLAG_ALL : 0) | a.flags) >>> 0;
    const errno = c.unmapDma(a.iova, a.size, flags);
    return outcome(c, errno, toHexOrNumber(c.lastUnmappedBytes));
  },
});

const getInfoOp = defineOp({
  name: 'vfio.getInfo',
  layer: 'vfio',
  summary: 'VFIO_IOMMU_GET_INFO: page sizes, DMA_AVAIL and the valid IOVA ranges',
  args: z.strictObject({ container: containerName }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const info = c.getInfo();
    const ret = {
      flags: info.flags,
      iovaPgsizes: toHexOrNumber(info.iovaPgsizes),
      dmaAvail: info.dmaAvail,
      iovaRanges: info.iovaRanges.map((r) => ({ start: toHexOrNumber(r.start), end: inclusiveEndHex(r.end) })),
    };
    return outcome(c, 0, ret);
  },
});

const attachOp = defineOp({
  name: 'vfio.attach',
  layer: 'vfio',
  summary: "VFIO_GROUP_SET_CONTAINER: attach one more scenario device's group to the container",
  args: z.strictObject({ device: z.string().min(1).max(64), container: containerName }),
  run: (env, a) => {
    const c = containerOf(env, a.container);
    const known = env.scenario.vms.some((vm) => vm.devices.some((d) => d.name === a.device));
    // No such device: opening its /dev/vfio/<group> fails before any ioctl.
    if (!known) return { ok: false, errno: linuxErrnoName(ENOENT), ret: null, costNs: 0, lane: c.laneName };
    // vfio_group_ioctl_set_container: a group already in another container is -EINVAL.
    const elsewhere = env.instances().some((i) => i !== c && i instanceof VfioType1Container && i.hasDevice(a.device));
    if (elsewhere) return { ok: false, errno: linuxErrnoName(EINVAL), ret: null, costNs: 0, lane: c.laneName };
    return outcome(c, c.attachDevice(a.device), null);
  },
});

export const VFIO_OPS: OpDefinition[] = [mapOp, unmapOp, getInfoOp, attachOp];
