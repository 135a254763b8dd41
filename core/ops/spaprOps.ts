// The spapr.* ops (docs/model.md#ops-scripts) over the VFIO SPAPR TCE container model. Containers
// are created on first use under `spapr:<name>` (default "container0", lane `spapr.<name>`) as v1 or
// v2 from host.vfio.backend; with a non-SPAPR backend they are v2, so an ops script can exercise
// SPAPR on any host. All containers of a run share the process's pre-registered memory list
// (instance `spaprMm`, lane spapr.mm) and its locked-memory budget.
// Must not: decide SPAPR semantics (core/model/ppc/host/spaprTceContainer.ts does).

import { z } from 'zod';
import { linuxErrnoName } from '../model/base/errno';
import { MmIommuMemList } from '../model/ppc/host/mmIommuMemList';
import { SPAPR_MAP_READ, SPAPR_MAP_WRITE, SpaprTceContainer } from '../model/ppc/host/spaprTceContainer';
import { spaprPlatformOf } from '../model/ppc/host/spaprTceWindows';
import { toHexOrNumber, u64 } from '../scenario/numbers';
import { defineOp, type OpDefinition, type OpOutcome, type OpsEnvironment } from './opTypes';

const containerName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must start with a letter and use only letters, digits, "_", "." or "-"')
  .max(64)
  .default('container0');

function mmOf(env: OpsEnvironment): MmIommuMemList {
  return env.instance('spaprMm', () => new MmIommuMemList(env.process, env.faults, env.scenario.host.spapr.hostPageShift));
}

function containerOf(env: OpsEnvironment, name: string): SpaprTceContainer {
  return env.instance(`spapr:${name}`, () => {
    const version = env.scenario.host.vfio.backend === 'spapr-tce-v1' ? 1 : 2;
    return new SpaprTceContainer(`spapr.${name}`, version, spaprPlatformOf(env.scenario), env.process, mmOf(env), env.faults, env.costs);
  });
}

function outcome(c: SpaprTceContainer, rc: number, ret: unknown): OpOutcome {
  const errno = linuxErrnoName(rc);
  return {
    ok: errno === null,
    errno,
    ret: errno === null ? ret : null,
    costNs: c.lastCostNs,
    lane: c.laneName,
    why: errno === null ? null : c.lastWhy,
  };
}

const only = z.strictObject({ container: containerName });
const memArgs = z.strictObject({ container: containerName, vaddr: u64, size: u64 });
const createArgs = z.strictObject({
  container: containerName,
  pageShift: z.number().int().min(0).max(63),
  windowSize: u64,
  levels: z.number().int().min(0).max(64).default(1),
});
const removeArgs = z.strictObject({ container: containerName, start: u64 });
const mapArgs = z.strictObject({
  container: containerName,
  iova: u64,
  vaddr: u64,
  size: u64,
  read: z.boolean().default(true),
  write: z.boolean().default(true),
  extraFlags: z.number().int().nonnegative().max(0xffffffff).default(0).meta({ description: 'Other MAP_DMA flag bits (any -> EINVAL).' }),
});
const unmapArgs = z.strictObject({
  container: containerName,
  iova: u64,
  size: u64,
  flags: z
    .number()
    .int()
    .nonnegative()
    .max(0xffffffff)
    .default(0)
    .meta({ description: 'UNMAP_DMA flags (none supported: any -> EINVAL).' }),
});

export const SPAPR_OPS: readonly OpDefinition[] = [
  defineOp({
    name: 'spapr.enable',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_ENABLE (v1): charge the whole default window to locked memory; v2 answers ENOTTY',
    args: only,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      return outcome(c, c.enable(), null);
    },
  }),
  defineOp({
    name: 'spapr.registerMemory',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2): pin and charge a range once per process',
    args: memArgs,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      return outcome(c, c.registerMemory(a.vaddr, a.size), null);
    },
  }),
  defineOp({
    name: 'spapr.unregisterMemory',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2): drop this container’s reference to an exactly registered range',
    args: memArgs,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      return outcome(c, c.unregisterMemory(a.vaddr, a.size), null);
    },
  }),
  defineOp({
    name: 'spapr.createWindow',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_SPAPR_TCE_CREATE (v2): a DMA window of 2^pageShift TCEs; ret = start address',
    args: createArgs,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      return outcome(c, c.createWindow(a.pageShift, a.windowSize, a.levels), toHexOrNumber(c.lastStartAddr));
    },
  }),
  defineOp({
    name: 'spapr.removeWindow',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_SPAPR_TCE_REMOVE (v2): remove the window holding `start`, clearing its TCEs',
    args: removeArgs,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      return outcome(c, c.removeWindow(a.start), null);
    },
  }),
  defineOp({
    name: 'spapr.map',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_MAP_DMA: write TCEs for [iova, iova + size) in one window (v1 pins per TCE, v2 uses registered memory)',
    args: mapArgs,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      const flags = (a.read ? SPAPR_MAP_READ : 0) | (a.write ? SPAPR_MAP_WRITE : 0) | a.extraFlags;
      return outcome(c, c.mapDma(a.iova, a.vaddr, a.size, flags), null);
    },
  }),
  defineOp({
    name: 'spapr.unmap',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_UNMAP_DMA: clear any TCE-aligned sub-range of one window; ret = bytes of live TCEs cleared',
    args: unmapArgs,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      return outcome(c, c.unmapDma(a.iova, a.size, a.flags), toHexOrNumber(c.lastUnmappedBytes));
    },
  }),
  defineOp({
    name: 'spapr.getInfo',
    layer: 'spapr',
    summary: 'VFIO_IOMMU_SPAPR_TCE_GET_INFO: dma32 window start/size, and DDW page sizes, windows and levels for v2',
    args: only,
    run: (env, a) => {
      const c = containerOf(env, a.container);
      const info = c.getInfo();
      const ret = {
        dma32WindowStart: toHexOrNumber(info.dma32WindowStart),
        dma32WindowSize: toHexOrNumber(info.dma32WindowSize),
        flags: info.flags,
        ddw: info.ddw === null ? null : { ...info.ddw, pgsizes: toHexOrNumber(info.ddw.pgsizes) },
      };
      return outcome(c, 0, ret);
    },
  }),
];
