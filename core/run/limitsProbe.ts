// The memlock / VFIO entries answer of one run (docs/model.md#limits-answer), measured from the
// layers' own accounts (LimitUsage: type1 containers, iommufd contexts, SPAPR TCE containers, the
// pre-registered memory list) and the QEMU process's locked_vm: what the run needs at start (after
// QEMU's setup, before the workload's first IO or op) and at its peak, against RLIMIT_MEMLOCK and
// dma_entry_limit. A run refused at a limit cannot show what it needed, so the run is simulated a
// second time without the limits (limitFreeScenario) and the needed values come from that run.
// Must not: change any layer, or decide what the limits are (the scenario and the layers do).

import type { LimitUsage } from '../model/base/layerInstance';
import type { HostEnvironment } from '../model/host/hostEnvironment';
import { PAGE_SIZE } from '../model/base/pages';
import type { Scenario } from '../scenario/schema';
import type { MetricMap } from '../sim/metricSink';

/** The most the run held up to the workload's start (QEMU's setup included). */
export interface LimitsStart {
  readonly lockedPages: number;
  readonly accounts: ReadonlyMap<string, { readonly lockedPages: number; readonly entries: number | null }>;
}

/** Every limit account of the host, once each (a layer made again under the same name, after a reset, replaces the old one). */
export function limitAccounts(env: HostEnvironment): LimitUsage[] {
  const byId = new Map<string, LimitUsage>();
  for (const inst of [...env.instances(), ...env.limitAccountLayers()]) {
    const usage = inst.limitUsage?.();
    if (usage !== undefined) byId.set(usage.id, usage);
  }
  return [...byId.values()];
}

/**
 * What getting through QEMU's setup took: the most each account held up to the workload's first IO,
 * not what it holds at that moment. With a vIOMMU (intel-iommu) QEMU maps and pins all guest RAM
 * into every device's container while translation is off and gives it back once the guest enables
 * it, so the charge QEMU must fit to start is gone by then (vtd_switch_address_space).
 */
export function limitsAtStart(env: HostEnvironment): LimitsStart {
  const accounts = new Map<string, { lockedPages: number; entries: number | null }>();
  for (const a of limitAccounts(env)) {
    accounts.set(a.id, {
      lockedPages: Math.max(a.lockedPages, a.lockedPagesPeak),
      entries: a.entries === null ? null : Math.max(a.entries, a.entriesPeak ?? 0),
    });
  }
  return { lockedPages: Math.max(env.process.lockedPages, Math.ceil(env.process.lockedPeakBytes / PAGE_SIZE)), accounts };
}

/** Whether a charge or a map was refused at RLIMIT_MEMLOCK or dma_entry_limit (then the needed values need a limit-free run). */
export function limitWasHit(env: HostEnvironment): boolean {
  return env.process.memlockFailures > 0 || limitAccounts(env).some((a) => a.entryLimitRefusals > 0);
}

/** dma_entry_limit is a u32 module parameter; the schema caps it at 2^31, plenty for any run. */
const NO_ENTRY_LIMIT = 2 ** 31;

/**
 * The scenario without its limits: RLIMIT_MEMLOCK unlimited, dma_entry_limit at its maximum, no
 * memlock-shrink fault (a prlimit that lowers the limit mid-run), no claims.
 */
export function limitFreeScenario(scenario: Scenario): Scenario {
  return {
    ...scenario,
    host: { ...scenario.host, vfio: { ...scenario.host.vfio, memlockBytes: null, dmaEntryLimit: NO_ENTRY_LIMIT } },
    faults: scenario.faults.filter((f) => f.kind !== 'memlock-shrink'),
    claims: [],
  };
}

interface AccountKeys {
  readonly lockedBytesStart: string;
  readonly lockedBytesPeak: string;
  readonly entriesStart: string;
  readonly entriesPeak: string;
  readonly entryLimit: string;
}

/**
 * The per-account metric names by account id, made once: building five template strings per
 * account per run (new strings, each hashed again as a property key) was a tenth of a short ops
 * script's run. A plain memo of names; bounded, since a sweep may name many accounts.
 */
const ACCOUNT_KEYS = new Map<string, AccountKeys>();
const MAX_ACCOUNT_KEYS = 4096;

function accountKeys(id: string): AccountKeys {
  let k = ACCOUNT_KEYS.get(id);
  if (k === undefined) {
    const p = `limits.${id}.`;
    k = {
      lockedBytesStart: `${p}lockedBytesStart`,
      lockedBytesPeak: `${p}lockedBytesPeak`,
      entriesStart: `${p}entriesStart`,
      entriesPeak: `${p}entriesPeak`,
      entryLimit: `${p}entryLimit`,
    };
    if (ACCOUNT_KEYS.size >= MAX_ACCOUNT_KEYS) ACCOUNT_KEYS.clear();
    ACCOUNT_KEYS.set(id, k);
  }
  return k;
}

/**
 * Writes the limits metrics (limitsMetrics.ts) into `into`.
 * @param needed the run the needed values come from: this run, or its limit-free twin when a limit was hit
 * @param scenario the run's own scenario (its configured limits)
 */
export function collectLimitsMetrics(
  into: MetricMap,
  needed: { readonly env: HostEnvironment; readonly start: LimitsStart },
  env: HostEnvironment,
  scenario: Scenario,
  hit: boolean,
): void {
  const vfio = scenario.host.vfio;
  into['limits.limitHit'] = hit ? 1 : 0;
  // The limit now (a memlock-shrink fault may have lowered it); absent when unlimited.
  const memlock = env.process.memlockLimitBytes;
  if (memlock !== null) into['limits.memlockBytes'] = memlock;
  into['limits.capIpcLock'] = vfio.capIpcLock ? 1 : 0;
  into['limits.lockedBytesStart'] = needed.start.lockedPages * PAGE_SIZE;
  into['limits.lockedBytesPeak'] = needed.env.process.lockedPeakBytes;
  let entriesStart = -1;
  let entriesPeak = -1;
  let type1 = false;
  for (const a of limitAccounts(needed.env)) {
    const start = needed.start.accounts.get(a.id);
    const k = accountKeys(a.id);
    into[k.lockedBytesStart] = (start?.lockedPages ?? 0) * PAGE_SIZE;
    into[k.lockedBytesPeak] = a.lockedPagesPeak * PAGE_SIZE;
    if (a.entriesPeak !== null) {
      const s = start?.entries ?? 0;
      into[k.entriesStart] = s;
      into[k.entriesPeak] = a.entriesPeak;
      entriesStart = Math.max(entriesStart, s);
      entriesPeak = Math.max(entriesPeak, a.entriesPeak);
    }
    // The configured limit, not the limit-free run's.
    if (a.entryLimit !== null) {
      into[k.entryLimit] = vfio.dmaEntryLimit;
      type1 = true;
    }
  }
  if (entriesPeak >= 0) {
    into['limits.entriesStart'] = entriesStart;
    into['limits.entriesPeak'] = entriesPeak;
  }
  if (type1) into['limits.entryLimit'] = vfio.dmaEntryLimit;
}
