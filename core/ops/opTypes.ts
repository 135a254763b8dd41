// The shape of an ops-script step (docs/model.md#ops-scripts): an op is a named call against one
// modelled layer, with zod-validated arguments, that returns {ok, errno, ret} and how long it took.
// Layers are created on first use inside one OpsEnvironment per run and share the host process (one
// locked-memory budget).
// Guest-side ops (dma.*) reach the guest through `guest()`, typed structurally below so this file
// does not import the stack builder (which imports this file: a cycle).
// Must not: import any layer model (each layer's ops file does); the guest types are type-only.

import type { z } from 'zod';
import type { VmConfig } from '../scenario/schema';
import type { HostEnvironment } from '../model/host/hostEnvironment';
import type { GuestDmaOps } from '../model/guestDma/guestDmaOps';
import type { DmaDevice } from '../model/guestDma/iommuDma';
import type { VcpuSet } from '../model/guestDma/vcpuSet';

/** One scenario device as the guest sees it: its VM's vCPUs and the DMA API in front of it. */
export interface OpsGuestDevice {
  readonly vm: { readonly config: VmConfig; readonly vcpus: VcpuSet };
  readonly device: { readonly dev: DmaDevice; readonly dma: GuestDmaOps };
}

/** The guest side of a run (the stack builder's Stack satisfies `device`), at the current step. */
export interface OpsGuest {
  /** Simulated time the current step starts at, ns. */
  readonly nowNs: number;
  /** The device called `name`, or undefined when the scenario has none. */
  device(name: string): OpsGuestDevice | undefined;
}

/** The host environment an op works in, plus the guest for the dma.* ops. */
export interface OpsEnvironment extends HostEnvironment {
  /** The guest, built on first call; absent where only host layers exist (unit tests). */
  readonly guest?: () => OpsGuest;
}

export interface OpOutcome {
  readonly ok: boolean;
  /** Symbolic error (EINVAL, H_PARAMETER, IOVA_ERR_OVERLAP...) or null on success. */
  readonly errno: string | null;
  /** The call's output; numbers where exact, hex strings above 2^53. */
  readonly ret: unknown;
  /** Simulated time the call took, ns. */
  readonly costNs: number;
  /** Lane of the instance the call ran on. */
  readonly lane: string;
  /**
   * Why a failed call was refused: the check that decided it, as the layer instance reports it
   * (recorded as the failure's cause on the timeline). Absent on success.
   */
  readonly why?: string | null;
  /**
   * The lines the real stack prints for a failed call, in its own wording: the kernel's (dmesg) and
   * the caller's (the VMM's report of the failed ioctl). Absent when nothing is printed.
   */
  readonly log?: { readonly kernel: string | null; readonly caller: string | null };
}

/** What OpDefinition.runRepeat did: `calls` calls that succeeded, then maybe one that failed. */
export interface OpRepeatStretch {
  /** Calls made that succeeded (at least 1 unless `failed` is set). */
  readonly calls: number;
  /** The running cost total with each successful call's cost added, in call order. */
  readonly costNs: number;
  /** ret of the last successful call. */
  readonly ret: unknown;
  readonly lane: string;
  /** The call after them, when it was made and failed: what run() would have returned for it. */
  readonly failed?: OpOutcome;
}

export interface OpDefinition<A = unknown> {
  readonly name: string;
  /** Layer family, for messages and the op list (vfio, iommufd, spapr, iovaTree, ...). */
  readonly layer: string;
  readonly summary: string;
  readonly args: z.ZodType<A>;
  readonly run: (env: OpsEnvironment, args: A) => OpOutcome;
  /**
   * Optional fast path of a repeated step: runs up to `count` calls from repetition `from`, as run()
   * would one by one (the same layer state, counters and costs); repetition i has the arguments
   * `base` with every argument named in `add` set to repeatArg(base, add, name, i), as the runner
   * computes them. It stops at the first call that fails (made, and reported in `failed`, or left to
   * run()) or where it cannot tell; null or 0 calls without `failed`: the runner makes the next call
   * through run().
   */
  readonly runRepeat?: (
    env: OpsEnvironment,
    base: A,
    add: Readonly<Record<string, number>>,
    from: number,
    count: number,
    costNs: number,
  ) => OpRepeatStretch | null;
}

/** Argument `name` of repetition `i` of a repeated step (base + i * add, the expression the runner uses). */
export function repeatArg<A>(base: A, add: Readonly<Record<string, number>>, name: string, i: number): number {
  return ((base as Record<string, unknown>)[name] as number) + i * add[name]!;
}

/** Erases the argument type so definitions of different ops fit one list. */
export function defineOp<A>(def: OpDefinition<A>): OpDefinition {
  return def as unknown as OpDefinition;
}
