// The DDW rtas.* ops of an ops script (docs/model.md#ops-scripts): a script plays a pseries guest
// calling the dynamic DMA window RTAS services of one guest PE (pe = devices[].guestPe, default the
// VM's lowest) on vCPU 0. errno is the RTAS status's name (RTAS_PARAM_ERROR, RTAS_HW_ERROR...) or
// null; a VM without the sPAPR vIOMMU answers RTAS_PARAM_ERROR (no such PHB). Outputs: query ->
// {avail, largestBlock, pageMask}; create -> {liobn, base} (base as a hex string above 2^53, e.g.
// "0x800000000000000").
// Must not: decide RTAS semantics (core/model/ppc/qemu/spaprRtasDdw.ts does).

import { z } from 'zod';
import { RTAS_OUT_PARAM_ERROR, rtasErrorName } from '../model/ppc/papr';
import { toHexOrNumber, u64 } from '../scenario/numbers';
import { onSpaprVcpu0, spaprGuestOf, type SpaprGuestAccess } from './hcallOps';
import { defineOp, type OpDefinition, type OpOutcome } from './opTypes';

const vmArg = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .meta({ description: 'VM making the call; default the first VM with the spapr-tce vIOMMU.' });
const peArg = z
  .number()
  .int()
  .nonnegative()
  .optional()
  .meta({ description: 'Guest PE (devices[].guestPe); default the lowest of the VM.' });
const shift = z.number().int().min(0).max(63);

function refused(vm: string | undefined): OpOutcome {
  const why = `${vm === undefined ? 'no VM has' : `VM ${vm} has no`} spapr-tce vIOMMU, so it has no RTAS DDW calls`;
  return { ok: false, errno: rtasErrorName(RTAS_OUT_PARAM_ERROR), ret: null, costNs: 0, lane: `spapr.${vm ?? 'vm'}`, why };
}

function rtasOutcome(g: SpaprGuestAccess, status: number, costNs: number, ret: unknown): OpOutcome {
  const errno = rtasErrorName(status);
  return {
    ok: errno === null,
    errno,
    ret: errno === null ? ret : null,
    costNs,
    lane: g.machine.laneName,
    why: errno === null ? null : g.machine.rtas.lastWhy,
  };
}

function peOf(g: SpaprGuestAccess, pe: number | undefined): number {
  return pe ?? g.machine.phbs[0]!.index;
}

export const RTAS_DDW_OPS: readonly OpDefinition[] = [
  defineOp({
    name: 'rtas.ibm,query-pe-dma-window',
    layer: 'rtas',
    summary:
      'ibm,query-pe-dma-window: ret = {avail: 2 - active windows, largestBlock (TCEs), pageMask (4K 0x1, 64K 0x2, 16M 0x4 ... 2M 0x100)}',
    args: z.strictObject({ vm: vmArg, pe: peArg }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused(a.vm);
      const r = g.machine.rtas;
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => (st = r.query(c, peOf(g, a.pe))));
      return rtasOutcome(g, st, costNs, { avail: r.lastAvail, largestBlock: r.lastLargestBlock, pageMask: r.lastPageMask });
    },
  }),
  defineOp({
    name: 'rtas.ibm,create-pe-dma-window',
    layer: 'rtas',
    summary: 'ibm,create-pe-dma-window(pageShift, windowShift): ret = {liobn, base} (first window at the default base, else at 2^59)',
    args: z.strictObject({ vm: vmArg, pe: peArg, pageShift: shift, windowShift: shift }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused(a.vm);
      const r = g.machine.rtas;
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => (st = r.create(c, peOf(g, a.pe), a.pageShift, a.windowShift)));
      return rtasOutcome(g, st, costNs, { liobn: r.lastLiobn, base: toHexOrNumber(r.lastBase) });
    },
  }),
  defineOp({
    name: 'rtas.ibm,remove-pe-dma-window',
    layer: 'rtas',
    summary: 'ibm,remove-pe-dma-window(liobn): the window and its TCEs go',
    args: z.strictObject({ vm: vmArg, liobn: u64 }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused(a.vm);
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => (st = g.machine.rtas.remove(c, a.liobn)));
      return rtasOutcome(g, st, costNs, null);
    },
  }),
  defineOp({
    name: 'rtas.ibm,reset-pe-dma-window',
    layer: 'rtas',
    summary: 'ibm,reset-pe-dma-window: every window goes, the default one comes back empty',
    args: z.strictObject({ vm: vmArg, pe: peArg }),
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return refused(a.vm);
      let st = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => (st = g.machine.rtas.reset(c, peOf(g, a.pe))));
      return rtasOutcome(g, st, costNs, null);
    },
  }),
];
