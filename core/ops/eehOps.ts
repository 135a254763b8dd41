// The EEH ops of an ops script (docs/model.md#ops-scripts): the guest's RTAS EEH calls on a guest
// PE (rtas.ibm,*; errno is the RTAS status name), host-side VFIO_EEH_PE_OP on a host PE (eeh.*;
// errno is the Linux name), device MMIO (mmio.read / mmio.write), and eeh.wait to let time pass
// while the guest recovers. Each VM's EEH layer is created on first use under `eeh:<vm>`.
// Until the run's simulation reaches OpsEnvironment (see createEehFromEnv), the EEH clock of an ops
// script advances with the EEH ops' own costs, so a script mixing EEH ops with other layers' ops sees
// EEH time lag behind.
// Must not: decide EEH semantics (core/model/ppc/eeh/*).

import { z } from 'zod';
import { linuxErrnoName, ENODEV } from '../model/base/errno';
import { rtasErrorName } from '../model/ppc/papr';
import { eehSystemFor, type EehSystem } from '../model/ppc/eeh/eehSystem';
import { eehPlacement, eehVmOfHostPe } from '../model/ppc/eeh/eehPlacement';
import { eehPeStateCode } from '../model/ppc/eeh/eehPeState';
import type { GuestPe } from '../model/ppc/eeh/eehGuestPe';
import type { MmioWidth } from '../model/ppc/eeh/hostPe';
import { VFIO_EEH_PE_GET_STATE, VFIO_EEH_PE_INJECT_ERR } from '../model/ppc/eeh/vfioEehPeOp';
import { EEH_RECOVERY_STEPS } from '../scenario/faultSchema';
import { u64 } from '../scenario/numbers';
import type { VmConfig } from '../scenario/schema';
import { defineOp, type OpDefinition, type OpOutcome, type OpsEnvironment } from './opTypes';

/** The VM's EEH layer on this environment (created on first use). */
export function eehSystemOf(env: OpsEnvironment, vm: VmConfig): EehSystem {
  return eehSystemFor(env, vm);
}

interface Timed {
  readonly errno: string | null;
  readonly ret: unknown;
  readonly costNs: number;
  /** Why a failed call failed. */
  readonly why?: string | null;
}

/** Runs `body` at the EEH clock's time; without a simulation the clock then moves past the call. */
function timed(sys: EehSystem, body: (tNs: number) => Timed): OpOutcome {
  const t = sys.advanceTo(sys.nowNs());
  const r = body(t);
  if (!sys.clock.attached) sys.advanceTo(t + r.costNs);
  return {
    ok: r.errno === null,
    errno: r.errno,
    ret: r.errno === null ? r.ret : null,
    costNs: r.costNs,
    lane: sys.laneName,
    why: r.why ?? null,
  };
}

const vmName = z
  .string()
  .min(1)
  .max(64)
  .optional()
  .meta({ description: 'VM the guest PE belongs to (default: the first VM that has it).' });
const device = z.string().min(1).max(64);
const guestTarget = {
  vm: vmName,
  pe: z.number().int().nonnegative().optional().meta({ description: 'Guest PE (guest PHB), as devices[].guestPe numbers them.' }),
  device: device.optional().meta({ description: 'A device of the guest PE (instead of pe).' }),
};
const rtasOption = z.number().int().nonnegative().max(0xffffffff);
const hostPe = z.number().int().nonnegative().meta({ description: 'Host PE, as devices[].hostPe numbers them.' });

function onePe(a: { pe?: number | undefined; device?: string | undefined }): boolean {
  return (a.pe === undefined) !== (a.device === undefined);
}
const ONE_PE = { message: 'give exactly one of pe (guest PE) and device' };

/** The VM and guest PE an RTAS op names; an unknown one reaches QEMU, which finds no PHB. */
function guestOf(env: OpsEnvironment, a: { vm?: string | undefined; pe?: number | undefined; device?: string | undefined }) {
  const vms = env.scenario.vms;
  let vm: VmConfig | undefined;
  if (a.device !== undefined) vm = vms.find((v) => v.devices.some((d) => d.name === a.device));
  else if (a.vm !== undefined) vm = vms.find((v) => v.name === a.vm);
  else vm = vms.find((v) => eehPlacement(env.scenario, v).guestPes.some((g) => g.pe === a.pe));
  const sys = eehSystemOf(env, vm ?? vms[0]!);
  const gpe: GuestPe | undefined =
    vm === undefined ? undefined : a.device !== undefined ? sys.guestPeOfDevice(a.device) : sys.guestPe(a.pe!);
  return { sys, gpe };
}

function hostOf(env: OpsEnvironment, pe: number): EehSystem {
  return eehSystemOf(env, eehVmOfHostPe(env.scenario, pe) ?? env.scenario.vms[0]!);
}

function rtasOutcome(sys: EehSystem, status: number, ret: unknown): Timed {
  const errno = rtasErrorName(status);
  return { errno, ret, costNs: sys.qemu.lastCostNs, why: errno === null ? null : sys.qemu.lastWhy };
}

function hex(v: number | bigint): string {
  return '0x' + v.toString(16);
}

const rtasOps: OpDefinition[] = [
  defineOp({
    name: 'rtas.ibm,set-eeh-option',
    layer: 'rtas',
    summary: 'ibm,set-eeh-option(option: 0 disable, 1 enable, 2 thaw MMIO, 3 thaw DMA) on a guest PE',
    args: z.strictObject({ ...guestTarget, option: rtasOption }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf(env, a);
      return timed(sys, (t) => rtasOutcome(sys, sys.qemu.setEehOption(gpe, a.option, t), null));
    },
  }),
  defineOp({
    name: 'rtas.ibm,read-slot-reset-state2',
    layer: 'rtas',
    summary: 'ibm,read-slot-reset-state2: ret {state (0 normal, 1 reset, 2 stopped, 4 stopped DMA, 5 unavailable), support, unavailableMs}',
    args: z.strictObject(guestTarget).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf(env, a);
      return timed(sys, (t) => {
        const status = sys.qemu.readSlotResetState2(gpe, t);
        const q = sys.qemu;
        return rtasOutcome(sys, status, { state: q.lastState, support: q.lastSupport, unavailableMs: q.lastUnavailableMs });
      });
    },
  }),
  defineOp({
    name: 'rtas.ibm,set-slot-reset',
    layer: 'rtas',
    summary: 'ibm,set-slot-reset(option: 0 deactivate, 1 hot, 3 fundamental) on a guest PE',
    args: z.strictObject({ ...guestTarget, option: rtasOption }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf(env, a);
      return timed(sys, (t) => rtasOutcome(sys, sys.qemu.setSlotReset(gpe, a.option, t), null));
    },
  }),
  defineOp({
    name: 'rtas.ibm,configure-pe',
    layer: 'rtas',
    summary: 'ibm,configure-pe on a guest PE (VFIO_EEH_PE_CONFIGURE)',
    args: z.strictObject(guestTarget).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf(env, a);
      return timed(sys, (t) => rtasOutcome(sys, sys.qemu.configurePe(gpe, t), null));
    },
  }),
  defineOp({
    name: 'rtas.ibm,slot-error-detail',
    layer: 'rtas',
    summary: 'ibm,slot-error-detail(option: 1 temporary, 2 permanent); ret 1 = no errors found (QEMU keeps no log)',
    args: z.strictObject({ ...guestTarget, option: rtasOption.default(1) }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf(env, a);
      return timed(sys, (t) => {
        const status = sys.qemu.slotErrorDetail(gpe, a.option, t);
        return rtasOutcome(sys, status, status);
      });
    },
  }),
  defineOp({
    name: 'rtas.ibm,get-config-addr-info2',
    layer: 'rtas',
    summary: 'ibm,get-config-addr-info2(option: 0 PE address of the device, 1 PE mode); ret the value',
    args: z.strictObject({ ...guestTarget, option: rtasOption.default(0) }).refine(onePe, ONE_PE),
    run: (env, a) => {
      const { sys, gpe } = guestOf(env, a);
      return timed(sys, (t) => {
        const status = sys.qemu.getConfigAddrInfo2(gpe, a.device, a.option, t);
        return rtasOutcome(sys, status, sys.qemu.lastValue);
      });
    },
  }),
];

function hostOutcome(sys: EehSystem, errno: number, ret: unknown): Timed {
  return { errno: linuxErrnoName(errno), ret, costNs: sys.vfio.lastCostNs, why: errno === 0 ? null : sys.vfio.lastWhy };
}

const eehOps: OpDefinition[] = [
  defineOp({
    name: 'eeh.inject',
    layer: 'eeh',
    summary: 'VFIO_EEH_PE_OP INJECT_ERR on a host PE (type 0 32-bit / 1 64-bit, func 0..19): the PE freezes; ret {serial}',
    args: z.strictObject({
      pe: hostPe,
      type: z.number().int().default(0),
      func: z.number().int().default(0),
    }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, (t) =>
        hostOutcome(sys, sys.peOp(a.pe, VFIO_EEH_PE_INJECT_ERR, t, { errType: a.type, errFunc: a.func }), { serial: sys.vfio.lastSerial }),
      );
    },
  }),
  defineOp({
    name: 'eeh.peOp',
    layer: 'eeh',
    summary: 'any VFIO_EEH_PE_OP (op 0..9) on a host PE; ret the state for GET_STATE',
    args: z.strictObject({
      pe: hostPe,
      op: z.number().int().nonnegative().max(0xffffffff),
      flags: z.number().int().nonnegative().max(0xffffffff).default(0),
      type: z.number().int().default(0),
      func: z.number().int().default(0),
    }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, (t) => {
        const errno = sys.peOp(a.pe, a.op, t, { flags: a.flags, errType: a.type, errFunc: a.func });
        return hostOutcome(sys, errno, a.op === VFIO_EEH_PE_GET_STATE ? sys.vfio.lastState : null);
      });
    },
  }),
  defineOp({
    name: 'eeh.state',
    layer: 'eeh',
    summary: "a host PE's EEH state as the host sees it: ret {state, code}",
    args: z.strictObject({ pe: hostPe }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, () => {
        const pe = sys.hostPe(a.pe);
        if (pe === undefined) return { errno: linuxErrnoName(ENODEV), ret: null, costNs: 0, why: `no host PE ${a.pe}` };
        return { errno: null, ret: { state: pe.state, code: eehPeStateCode(pe.state) }, costNs: 0 };
      });
    },
  }),
  defineOp({
    name: 'eeh.failStep',
    layer: 'eeh',
    summary: 'the next time this recovery step reaches the host PE it fails (as the eeh-recovery-step-fails fault)',
    args: z.strictObject({ pe: hostPe, step: z.enum(EEH_RECOVERY_STEPS) }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, () =>
        sys.armStepFailure(a.pe, a.step)
          ? { errno: null, ret: null, costNs: 0 }
          : { errno: linuxErrnoName(ENODEV), ret: null, costNs: 0, why: `no host PE ${a.pe}` },
      );
    },
  }),
  defineOp({
    name: 'eeh.unavailable',
    layer: 'eeh',
    summary: 'the host recovers the PHB above a host PE for `ms`: the PE reads unavailable (state 5), then frozen',
    args: z.strictObject({ pe: hostPe, ms: z.number().int().nonnegative().max(86_400_000) }),
    run: (env, a) => {
      const sys = hostOf(env, a.pe);
      return timed(sys, (t) =>
        sys.makeUnavailable(a.pe, a.ms, t)
          ? { errno: null, ret: null, costNs: 0 }
          : { errno: linuxErrnoName(ENODEV), ret: null, costNs: 0, why: `no host PE ${a.pe}` },
      );
    },
  }),
  defineOp({
    name: 'eeh.wait',
    layer: 'eeh',
    summary: 'the script waits `ms` while the guests detect and recover; ret the number of guest PEs recovering',
    args: z.strictObject({ ms: z.number().nonnegative().max(86_400_000) }),
    run: (env, a) => {
      const costNs = Math.round(a.ms * 1e6);
      const systems = env.scenario.vms.map((vm) => eehSystemOf(env, vm));
      let recovering = 0;
      for (const sys of systems) {
        const t = sys.advanceTo(sys.nowNs());
        if (!sys.clock.attached) sys.advanceTo(t + costNs);
        recovering += sys.guestPes.filter((g) => g.recovering).length;
      }
      return { ok: true, errno: null, ret: recovering, costNs, lane: systems[0]!.laneName };
    },
  }),
];

const width = z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(4);

function deviceSystem(env: OpsEnvironment, name: string): EehSystem | undefined {
  const vm = env.scenario.vms.find((v) => v.devices.some((d) => d.name === name));
  return vm === undefined ? undefined : eehSystemOf(env, vm);
}

const mmioOps: OpDefinition[] = [
  defineOp({
    name: 'mmio.read',
    layer: 'mmio',
    summary: 'a driver reads `width` bytes of a BAR: ret the value in hex ("0xffffffff" when the PE is frozen)',
    args: z.strictObject({ device, offset: u64.default(0), width }),
    run: (env, a) => {
      const sys = deviceSystem(env, a.device);
      if (sys === undefined)
        return {
          ok: false,
          errno: linuxErrnoName(ENODEV),
          ret: null,
          costNs: 0,
          lane: `mmio.${a.device}`,
          why: `no device ${a.device} with EEH`,
        };
      return timed(sys, (t) => ({
        errno: null,
        ret: hex(sys.mmioRead(a.device, a.offset, a.width as MmioWidth, t)),
        costNs: sys.lastCostNs,
      }));
    },
  }),
  defineOp({
    name: 'mmio.write',
    layer: 'mmio',
    summary: 'a driver writes `width` bytes to a BAR; ret {dropped} (a frozen PE drops writes)',
    args: z.strictObject({ device, offset: u64.default(0), width, value: u64.default(0) }),
    run: (env, a) => {
      const sys = deviceSystem(env, a.device);
      if (sys === undefined)
        return {
          ok: false,
          errno: linuxErrnoName(ENODEV),
          ret: null,
          costNs: 0,
          lane: `mmio.${a.device}`,
          why: `no device ${a.device} with EEH`,
        };
      return timed(sys, (t) => {
        const delivered = sys.mmioWrite(a.device, a.offset, a.width as MmioWidth, a.value, t);
        return { errno: null, ret: { dropped: !delivered }, costNs: sys.lastCostNs };
      });
    },
  }),
];

export const EEH_OPS: readonly OpDefinition[] = [...rtasOps, ...eehOps, ...mmioOps];
