// The hcall.* ops of an ops script (docs/model.md#ops-scripts): a script plays a pseries guest
// kernel making the TCE hypercalls of one VM (default: the first VM with the spapr-tce vIOMMU) on
// its vCPU 0, through the whole path the lab models (KVM in the kernel or QEMU, VFIO, PowerVM when
// nested). errno is the PAPR return code's name (H_PARAMETER...) or null; a VM without the sPAPR
// vIOMMU answers H_FUNCTION (the hypercall is not offered). H_PUT_TCE_INDIRECT takes the list as
// the guest wrote it in its 4 KiB page at listGpa (default: a page-aligned page in guest RAM;
// entries past the list read as 0) and `count` (default the list's length); it and H_STUFF_TCE
// return how many TCEs were written, also on failure, so a partial call shows where it stopped.
// LIOBNs are those of the guest PHBs: SPAPR_PCI_LIOBN(pe, n) = 0x80000000 | pe << 8 | n (the
// default window is n = 0).
// Must not: decide hypercall semantics (core/model/ppc/qemu/spaprHcalls.ts does).

import { z } from 'zod';
import { DmaCall } from '../model/base/dmaCall';
import { H_FUNCTION, hcallErrorName } from '../model/ppc/papr';
import { SpaprMachine } from '../model/ppc/spaprMachine';
import { toHexOrNumber, u64 } from '../scenario/numbers';
import type { VcpuSet } from '../model/guestDma/vcpuSet';
import { defineOp, type OpDefinition, type OpOutcome, type OpRepeatStretch, type OpsEnvironment } from './opTypes';
import type { SpaprHcalls } from '../model/ppc/qemu/spaprHcalls';
import { H_SUCCESS } from '../model/ppc/papr';
import { alignDown } from '../model/base/pages';
import { TCE_LIST_PAGE } from '../model/ppc/qemu/spaprHcalls';

const vmArg = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .meta({ description: 'VM making the call; default the first VM with the spapr-tce vIOMMU.' });

export interface SpaprGuestAccess {
  readonly machine: SpaprMachine;
  readonly vcpus: VcpuSet;
  readonly nowNs: number;
}

/** The VM's sPAPR machine and vCPUs (building the guest stack on first use), or null when it has none. */
export function spaprGuestOf(env: OpsEnvironment, vmName: string | undefined): SpaprGuestAccess | null {
  if (env.guest === undefined) throw new Error('hcall.* and rtas.* ops need the guest stack: this OpsEnvironment has no guest()');
  const guest = env.guest();
  const vm =
    vmName === undefined ? env.scenario.vms.find((v) => v.viommu.model === 'spapr-tce') : env.scenario.vms.find((v) => v.name === vmName);
  if (vm === undefined) return null;
  const found = guest.device(vm.devices[0]!.name);
  const machine = env.instances().find((i): i is SpaprMachine => i instanceof SpaprMachine && i.deps.vm.name === vm.name);
  if (found === undefined || machine === undefined) return null;
  return { machine, vcpus: found.vm.vcpus, nowNs: guest.nowNs };
}

/**
 * Runs one guest call on vCPU 0 from the step's time (or when vCPU 0 is free); returns the call and
 * its own duration. A repeated step runs its calls back to back on vCPU 0, so each starts where the
 * previous ended and the durations add up to the step's time (measuring from the step's start
 * instead would count the earlier calls again in every later one).
 */
export function onSpaprVcpu0(g: SpaprGuestAccess, body: (call: DmaCall) => void): { call: DmaCall; costNs: number } {
  const call = new DmaCall(0).begin(g.vcpus.startAt(0, g.nowNs));
  const start = call.t;
  body(call);
  g.vcpus.occupy(0, start, call.t);
  return { call, costNs: call.t - start };
}

/**
 * runRepeat of a hypercall op: the calls one after the other on vCPU 0, as run() makes them (each from
 * where vCPU 0 is free), with one look-up of the guest for all of them; `make` issues each call with
 * the arguments of its repetition in `v`, in the order of `numeric` (only those may be advanced).
 * Stops at the first call that fails, reported as run() reports it.
 */
function hcallRepeat<A extends { readonly vm?: string | undefined }>(
  numeric: readonly (keyof A & string)[],
  make: (h: SpaprHcalls, call: DmaCall, v: Float64Array) => number,
  ret: (h: SpaprHcalls) => unknown,
): (
  env: OpsEnvironment,
  a: A,
  add: Readonly<Record<string, number>>,
  from: number,
  count: number,
  costNs: number,
) => OpRepeatStretch | null {
  return (env, a, add, from, count, costNs) => {
    for (const k in add) if (!(numeric as readonly string[]).includes(k)) return null;
    const g = spaprGuestOf(env, a.vm);
    if (g === null) return null;
    const h = g.machine.hcalls;
    const call = new DmaCall(0);
    // The arguments: the step's values, the advanced ones recomputed per repetition as repeatArg does
    // (base + i * add), looked up by name once rather than per call.
    const v = new Float64Array(numeric.length);
    const advanced: number[] = [];
    const bases: number[] = [];
    const deltas: number[] = [];
    numeric.forEach((name, k) => {
      v[k] = a[name] as number;
      if (name in add) {
        advanced.push(k);
        bases.push(a[name] as number);
        deltas.push(add[name]!);
      }
    });
    let total = costNs;
    let last: unknown = null;
    for (let j = 0; j < count; j++) {
      for (let m = 0; m < advanced.length; m++) v[advanced[m]!] = bases[m]! + (from + j) * deltas[m]!;
      call.begin(g.vcpus.startAt(0, g.nowNs));
      const start = call.t;
      const rc = make(h, call, v);
      g.vcpus.occupy(0, start, call.t);
      if (rc !== H_SUCCESS)
        return { calls: j, costNs: total, ret: last, lane: g.machine.laneName, failed: hcallOutcome(g, rc, call.t - start, ret(h)) };
      total += call.t - start;
      last = ret(h);
    }
    return { calls: count, costNs: total, ret: last, lane: g.machine.laneName };
  };
}

function noSpapr(vm: string | undefined): OpOutcome {
  // H_FUNCTION: without an sPAPR TCE vIOMMU the TCE hypercalls are not registered (spapr_register_hypercall).
  const why = `${vm === undefined ? 'no VM has' : `VM ${vm} has no`} spapr-tce vIOMMU, so the TCE hypercalls are not registered (H_FUNCTION)`;
  return { ok: false, errno: hcallErrorName(H_FUNCTION), ret: null, costNs: 0, lane: `spapr.${vm ?? 'vm'}`, why };
}

function hcallOutcome(g: SpaprGuestAccess, rc: number, costNs: number, ret: unknown): OpOutcome {
  const errno = hcallErrorName(rc);
  return { ok: errno === null, errno, ret, costNs, lane: g.machine.laneName, why: errno === null ? null : g.machine.hcalls.lastWhy };
}

/** A page of guest RAM for the TCE list: 32 MiB in, or the last page of a smaller guest. */
function defaultListGpa(g: SpaprGuestAccess): number {
  return Math.min(32 * 1024 * 1024, alignDown(g.machine.ramBytes - TCE_LIST_PAGE, TCE_LIST_PAGE));
}

const putArgs = z.strictObject({ vm: vmArg, liobn: u64, ioba: u64, tce: u64 });
const indirectArgs = z.strictObject({
  vm: vmArg,
  liobn: u64,
  ioba: u64,
  list: z.array(u64).max(512).meta({ description: 'The TCEs in the guest page, in order (at most one 4 KiB page: 512).' }),
  listGpa: u64.optional().meta({ description: 'Guest-physical address of the list page (must be 4 KiB aligned).' }),
  count: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional()
    .meta({ description: 'The npages argument; default the list length (more than 512 -> H_PARAMETER).' }),
});
const stuffArgs = z.strictObject({
  vm: vmArg,
  liobn: u64,
  ioba: u64,
  value: u64.default(0),
  count: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
});
const getArgs = z.strictObject({ vm: vmArg, liobn: u64, ioba: u64 });

export const HCALL_OPS: readonly OpDefinition[] = [
  defineOp({
    name: 'hcall.H_PUT_TCE',
    layer: 'hcall',
    summary: 'H_PUT_TCE(liobn, ioba, tce): write one TCE (permission bits 0 fault, 1 RO, 2 WO, 3 RW)',
    args: putArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      let rc = 0;
      const { costNs } = onSpaprVcpu0(g, (c) => (rc = g.machine.hcalls.putTce(c, a.liobn, a.ioba, a.tce)));
      return hcallOutcome(g, rc, costNs, null);
    },
    runRepeat: hcallRepeat<z.infer<typeof putArgs>>(
      ['liobn', 'ioba', 'tce'],
      (h, c, v) => h.putTce(c, v[0]!, v[1]!, v[2]!),
      () => null,
    ),
  }),
  defineOp({
    name: 'hcall.H_PUT_TCE_INDIRECT',
    layer: 'hcall',
    summary:
      'H_PUT_TCE_INDIRECT(liobn, ioba, list, n): up to 512 TCEs from a 4 KiB guest page; ret = TCEs written (also when it fails part way)',
    args: indirectArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      const list = Float64Array.from(a.list);
      const listGpa = a.listGpa ?? defaultListGpa(g);
      let rc = 0;
      const h = g.machine.hcalls;
      const { costNs } = onSpaprVcpu0(
        g,
        (c) => (rc = h.putTceIndirect(c, a.liobn, a.ioba, listGpa, list, list.length, a.count ?? list.length)),
      );
      return hcallOutcome(g, rc, costNs, h.lastWritten);
    },
  }),
  defineOp({
    name: 'hcall.H_STUFF_TCE',
    layer: 'hcall',
    summary: 'H_STUFF_TCE(liobn, ioba, value, count): write `value` into `count` TCEs (Linux frees with 0); ret = TCEs written',
    args: stuffArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      let rc = 0;
      const h = g.machine.hcalls;
      const { costNs } = onSpaprVcpu0(g, (c) => (rc = h.stuffTce(c, a.liobn, a.ioba, a.value, a.count)));
      return hcallOutcome(g, rc, costNs, h.lastWritten);
    },
    runRepeat: hcallRepeat<z.infer<typeof stuffArgs>>(
      ['liobn', 'ioba', 'value', 'count'],
      (h, c, v) => h.stuffTce(c, v[0]!, v[1]!, v[2]!, v[3]!),
      (h) => h.lastWritten,
    ),
  }),
  defineOp({
    name: 'hcall.H_GET_TCE',
    layer: 'hcall',
    summary: 'H_GET_TCE(liobn, ioba): ret = the TCE (R4)',
    args: getArgs,
    run: (env, a) => {
      const g = spaprGuestOf(env, a.vm);
      if (g === null) return noSpapr(a.vm);
      let rc = 0;
      const h = g.machine.hcalls;
      const { costNs } = onSpaprVcpu0(g, (c) => (rc = h.getTce(c, a.liobn, a.ioba)));
      return hcallOutcome(g, rc, costNs, rc === 0 ? toHexOrNumber(h.lastTce) : null);
    },
  }),
];
