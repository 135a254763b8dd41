// The iommufd.* ops of an ops script (docs/model.md#ops-scripts): IOAS_ALLOC, device attach,
// IOAS_MAP, IOAS_UNMAP, IOAS_COPY, IOAS_IOVA_RANGES, IOAS_ALLOW_IOVAS and the window extension's
// CREATE/REMOVE_WINDOW, on one iommufd context per run (instance "iommufd"). An IOAS is named by
// the `ioas` argument: a string name ("ioas0" when absent) is created on first use and attached,
// like QEMU does, to a device "<name>.device" with the host IOMMU geometry; a number is an id from
// iommufd.ioasAlloc (unknown id: ENOENT, as iommufd_get_ioas answers). Each IOAS has the lane
// iommufd.<name>. createWindow/removeWindow exist only with host.iommufd.dmaWindows; otherwise
// EOPNOTSUPP.
// Must not: implement IOAS rules (core/model/iommufd/*.ts do).

import { z } from 'zod';
import { EOPNOTSUPP, ENOENT, OK, linuxErrnoName } from '../model/base/errno';
import { IommufdContext, hugePageBytes } from '../model/iommufd/iommufdContext';
import { IOMMU_IOAS_MAP_FIXED_IOVA, protFlags, type IommufdIoas } from '../model/iommufd/iommufdIoas';
import { lastAddress } from '../model/iommufd/iommufdIovaSpan';
import { u64, toHexOrNumber } from '../scenario/numbers';
import { defineOp, type OpDefinition, type OpOutcome, type OpsEnvironment } from './opTypes';

const DEFAULT_IOAS = 'ioas0';

const ioasRef = z
  .union([z.string().min(1).max(64), z.number().int().positive()])
  .optional()
  .meta({ description: 'IOAS name (created on first use and attached) or id from iommufd.ioasAlloc; default "ioas0".' });

const rangeSchema = z.strictObject({ start: u64, last: u64.meta({ description: 'Inclusive last IOVA.' }) });

function context(env: OpsEnvironment): IommufdContext {
  return env.instance(
    'iommufd',
    () =>
      new IommufdContext({
        process: env.process,
        costs: env.costs,
        faults: env.faults,
        dmaWindows: env.scenario.host.iommufd.dmaWindows,
        maxAutoAlignBytes: hugePageBytes(env.scenario.host.arch),
        ...(env.scenario.host.iommufd.pfnmap === undefined ? {} : { pfnmap: env.scenario.host.iommufd.pfnmap }),
      }),
  );
}

/** The IOAS an op names, with the cost of creating it on first use; or the errno. */
function resolveIoas(
  env: OpsEnvironment,
  ctx: IommufdContext,
  ref: string | number | undefined,
): { ioas: IommufdIoas; costNs: number } | { rc: number; costNs: number } {
  if (typeof ref === 'number') {
    const ioas = ctx.ioas(ref);
    return ioas === undefined ? { rc: ENOENT, costNs: 0 } : { ioas, costNs: 0 };
  }
  const name = ref ?? DEFAULT_IOAS;
  const existing = ctx.ioasByName(name);
  if (existing !== undefined) return { ioas: existing, costNs: 0 };
  const rc = ctx.ioasAlloc(name);
  if (rc !== OK) return { rc, costNs: 0 };
  const ioas = ctx.ioasByName(name)!;
  const attached = ctx.attach(ioas, `${name}.device`, env.geometry);
  if (attached !== OK) {
    ctx.ioasDestroy(ioas.id);
    return { rc: attached, costNs: ioas.lastCostNs };
  }
  return { ioas, costNs: ioas.lastCostNs };
}

function outcome(rc: number, ret: unknown, costNs: number, lane: string, why: string | null = null): OpOutcome {
  return { ok: rc === OK, errno: linuxErrnoName(rc), ret: rc === OK ? ret : null, costNs, lane, why: rc === OK ? null : why };
}

/** Runs `call` on the named IOAS (after creating it if needed), reporting its cost and lane. */
function onIoas(
  env: OpsEnvironment,
  ref: string | number | undefined,
  call: (ioas: IommufdIoas) => { rc: number; ret: unknown },
): OpOutcome {
  const ctx = context(env);
  const r = resolveIoas(env, ctx, ref);
  if ('rc' in r) return outcome(r.rc, null, r.costNs, ctx.laneName);
  const { rc, ret } = call(r.ioas);
  return outcome(rc, ret, r.costNs + r.ioas.lastCostNs, r.ioas.laneName, r.ioas.lastWhy);
}

export const IOMMUFD_OPS: OpDefinition[] = [
  defineOp({
    name: 'iommufd.ioasAlloc',
    layer: 'iommufd',
    summary: 'IOMMU_IOAS_ALLOC: a new, unattached IOAS; ret = its id. `name` makes it addressable by name.',
    args: z.strictObject({ name: z.string().min(1).max(64).optional() }),
    run: (env, args) => {
      const ctx = context(env);
      const rc = ctx.ioasAlloc(args.name);
      const ioas = rc === OK ? ctx.ioas(ctx.lastIoasId)! : undefined;
      return outcome(rc, ctx.lastIoasId, 0, ioas?.laneName ?? ctx.laneName);
    },
  }),
  defineOp({
    name: 'iommufd.attach',
    layer: 'iommufd',
    summary: 'Attach a device (with the host IOMMU geometry) to an IOAS: joins a domain of the same geometry or adds one.',
    args: z.strictObject({ ioas: ioasRef, device: z.string().min(1).max(64) }),
    run: (env, args) => onIoas(env, args.ioas, (ioas) => ({ rc: context(env).attach(ioas, args.device, env.geometry), ret: null })),
  }),
  defineOp({
    name: 'iommufd.map',
    layer: 'iommufd',
    summary: 'IOMMU_IOAS_MAP of [uptr, uptr + length) at iova (absent = automatic IOVA); ret = the IOVA.',
    args: z.strictObject({
      ioas: ioasRef,
      iova: u64.optional(),
      uptr: u64,
      length: u64,
      read: z.boolean().default(true),
      write: z.boolean().default(true),
    }),
    run: (env, args) =>
      onIoas(env, args.ioas, (ioas) => {
        const flags = protFlags(args.read, args.write) | (args.iova !== undefined ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
        const rc = ioas.map(flags, args.iova ?? 0, args.uptr, args.length);
        return { rc, ret: toHexOrNumber(ioas.lastIova) };
      }),
  }),
  defineOp({
    name: 'iommufd.unmap',
    layer: 'iommufd',
    summary: 'IOMMU_IOAS_UNMAP of whole areas in [iova, iova + length); iova 0 with length 2^64-1 unmaps all. ret = bytes unmapped.',
    args: z.strictObject({ ioas: ioasRef, iova: u64, length: u64 }),
    run: (env, args) =>
      onIoas(env, args.ioas, (ioas) => {
        const rc = ioas.unmap(args.iova, args.length);
        return { rc, ret: toHexOrNumber(ioas.lastUnmappedBytes) };
      }),
  }),
  defineOp({
    name: 'iommufd.copy',
    layer: 'iommufd',
    summary:
      'IOMMU_IOAS_COPY of [srcIova, srcIova + length) of srcIoas to dstIova of dstIoas (absent = automatic), sharing the pinned pages. ret = the destination IOVA.',
    args: z.strictObject({
      dstIoas: ioasRef,
      srcIoas: ioasRef,
      dstIova: u64.optional(),
      srcIova: u64,
      length: u64,
      read: z.boolean().default(true),
      write: z.boolean().default(true),
    }),
    run: (env, args) => {
      const ctx = context(env);
      const src = resolveIoas(env, ctx, args.srcIoas);
      if ('rc' in src) return outcome(src.rc, null, src.costNs, ctx.laneName);
      const out = onIoas(env, args.dstIoas, (dst) => {
        const flags = protFlags(args.read, args.write) | (args.dstIova !== undefined ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
        const rc = dst.copyFrom(src.ioas, flags, args.srcIova, args.length, args.dstIova ?? 0);
        return { rc, ret: toHexOrNumber(dst.lastIova) };
      });
      return { ...out, costNs: out.costNs + src.costNs };
    },
  }),
  defineOp({
    name: 'iommufd.iovaRanges',
    layer: 'iommufd',
    summary:
      'IOMMU_IOAS_IOVA_RANGES: usable IOVA ranges (holes between reserved ranges) and the IOVA alignment; EMSGSIZE with ret {count} when more than `capacity`.',
    args: z.strictObject({ ioas: ioasRef, capacity: z.number().int().nonnegative().optional() }),
    run: (env, args) => {
      const ctx = context(env);
      const r = resolveIoas(env, ctx, args.ioas);
      if ('rc' in r) return outcome(r.rc, null, r.costNs, ctx.laneName);
      const ioas = r.ioas;
      const rc = ioas.iovaRanges(args.capacity ?? Infinity);
      const ranges = ioas.lastIovaRanges.map((s) => ({ start: toHexOrNumber(s.start), last: formatLast(s.end) }));
      const ret = rc === OK ? { ranges, alignment: ioas.lastIovaAlignment } : { count: ioas.lastIovaRangeCount };
      return { ok: rc === OK, errno: linuxErrnoName(rc), ret, costNs: r.costNs, lane: ioas.laneName };
    },
  }),
  defineOp({
    name: 'iommufd.allowIovas',
    layer: 'iommufd',
    summary: 'IOMMU_IOAS_ALLOW_IOVAS: restrict automatic IOVA to these inclusive ranges (an empty list lifts the restriction).',
    args: z.strictObject({ ioas: ioasRef, ranges: z.array(rangeSchema).max(4096) }),
    run: (env, args) => onIoas(env, args.ioas, (ioas) => ({ rc: ioas.allowIovas(args.ranges), ret: null })),
  }),
  defineOp({
    name: 'iommufd.createWindow',
    layer: 'iommufd',
    summary:
      'Window extension (reference 001, host.iommufd.dmaWindows): create an IOVA window; absent base/pageSize are chosen. ret = {base, size, pageSize}.',
    args: z.strictObject({ ioas: ioasRef, base: u64.optional(), size: u64, pageSize: z.number().int().positive().optional() }),
    run: (env, args) => {
      if (!env.scenario.host.iommufd.dmaWindows) return outcome(EOPNOTSUPP, null, 0, context(env).laneName);
      return onIoas(env, args.ioas, (ioas) => {
        const rc = ioas.createWindow(args.base ?? null, args.size, args.pageSize ?? null);
        const w = ioas.lastWindow;
        return { rc, ret: w === null ? null : { base: toHexOrNumber(w.base), size: toHexOrNumber(w.end - w.base), pageSize: w.pageSize } };
      });
    },
  }),
  defineOp({
    name: 'iommufd.removeWindow',
    layer: 'iommufd',
    summary: 'Window extension: remove the window starting at base and every mapping in it. ret = bytes unmapped.',
    args: z.strictObject({ ioas: ioasRef, base: u64 }),
    run: (env, args) => {
      if (!env.scenario.host.iommufd.dmaWindows) return outcome(EOPNOTSUPP, null, 0, context(env).laneName);
      return onIoas(env, args.ioas, (ioas) => {
        const rc = ioas.removeWindow(args.base);
        return { rc, ret: toHexOrNumber(ioas.lastUnmappedBytes) };
      });
    },
  }),
];

/** Inclusive last address of a half-open range end: exact as a hex string above 2^53. */
function formatLast(end: number): number | string {
  const last = lastAddress(end);
  return last <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(last) : '0x' + last.toString(16);
}
