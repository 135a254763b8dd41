// The "Memlock & VFIO entries" answer as hosts and the renderer show it, read back from a run's
// limits.* metrics (written by core/run/limitsProbe.ts, docs/model.md#limits-answer): per variant,
// the QEMU process's locked memory against RLIMIT_MEMLOCK, and per limit account (type1 container,
// iommufd context, SPAPR TCE container, pre-registered memory) its share of it and its mappings
// against dma_entry_limit, needed at start and at peak, with the headroom and, when the run hit a
// limit, the limit that would have sufficed.
// Must not: compute anything from the model; it only reads metrics.

import type { MetricInfo } from './catalog';

/** limits.<kind>/<name>.<field>: one account's values (kinds: type1, iommufd, spapr-tce, spapr-mm). */
const ACCOUNT_METRIC = /^limits\.([a-z0-9-]+)\/(.+)\.(lockedBytesStart|lockedBytesPeak|entriesStart|entriesPeak|entryLimit)$/;

const NEEDED = 'measured without the limits when the run hit one (limits.limitHit)';

const ACCOUNT_FIELDS: Record<string, { unit: string; what: string }> = {
  lockedBytesStart: { unit: 'bytes', what: 'the most locked memory it had charged during the setup of QEMU' },
  lockedBytesPeak: { unit: 'bytes', what: 'most locked memory it had charged at once' },
  entriesStart: { unit: 'entries', what: 'the most mappings it held during the setup of QEMU (vfio_dma entries, iommufd areas, TCEs)' },
  entriesPeak: { unit: 'entries', what: 'most mappings it held at once' },
  entryLimit: { unit: 'entries', what: 'its dma_entry_limit' },
};

/** The catalog entry of a per-account limits metric (no variant prefix), described from its name. */
export function limitsAccountMetricInfo(name: string): MetricInfo | undefined {
  const m = ACCOUNT_METRIC.exec(name);
  if (m === null) return undefined;
  const f = ACCOUNT_FIELDS[m[3]!]!;
  return { name, unit: f.unit, description: `${m[1]} account ${m[2]}: ${f.what} (${NEEDED})` };
}

export type LimitsUnit = 'bytes' | 'entries';

export interface LimitsRow {
  /** "QEMU process" or an account id ("type1/vm0", "iommufd/vfio.vm0", "spapr-tce/..."). */
  readonly account: string;
  /** What is counted and which limit applies, in the kernel's terms. */
  readonly resource: string;
  readonly unit: LimitsUnit;
  readonly start: number;
  readonly peak: number;
  /** The limit it is held against; null when there is none (unlimited, CAP_IPC_LOCK, no per-account limit). */
  readonly limit: number | null;
  /** Why there is no limit, or which limit it shares. */
  readonly limitNote: string | null;
  /** limit - peak; negative: the run needed more than the limit. Null without a limit. */
  readonly headroom: number | null;
  /** The limit that would have sufficed, when the run needed more than it had. */
  readonly wouldSuffice: number | null;
}

export interface LimitsAnswer {
  /** "" for a plain scenario. */
  readonly variant: string;
  /** A charge or map was refused at a limit: the needed values come from the run simulated without limits. */
  readonly limitHit: boolean;
  readonly rows: readonly LimitsRow[];
}

function row(
  account: string,
  resource: string,
  unit: LimitsUnit,
  start: number,
  peak: number,
  limit: number | null,
  limitNote: string | null,
): LimitsRow {
  const headroom = limit === null ? null : limit - peak;
  return {
    account,
    resource,
    unit,
    start,
    peak,
    limit,
    limitNote,
    headroom,
    wouldSuffice: headroom !== null && headroom < 0 ? peak : null,
  };
}

/** The answer per variant (in the order the metrics list them), from a run's merged metrics; empty when the run has none. */
export function limitsAnswers(metrics: Readonly<Record<string, number>>): LimitsAnswer[] {
  const byVariant = new Map<string, Map<string, number>>();
  for (const [name, value] of Object.entries(metrics)) {
    const colon = name.indexOf(':');
    const variant = colon >= 0 ? name.slice(0, colon) : '';
    const local = colon >= 0 ? name.slice(colon + 1) : name;
    if (!local.startsWith('limits.')) continue;
    let m = byVariant.get(variant);
    if (m === undefined) byVariant.set(variant, (m = new Map()));
    m.set(local, value);
  }
  const answers: LimitsAnswer[] = [];
  for (const [variant, m] of byVariant) {
    if (!m.has('limits.lockedBytesPeak')) continue;
    const rows: LimitsRow[] = [];
    const cap = m.get('limits.capIpcLock') === 1;
    const memlock = m.get('limits.memlockBytes') ?? null;
    rows.push(
      row(
        'QEMU process',
        'locked memory (locked_vm against RLIMIT_MEMLOCK)',
        'bytes',
        m.get('limits.lockedBytesStart') ?? 0,
        m.get('limits.lockedBytesPeak') ?? 0,
        cap ? null : memlock,
        cap ? 'CAP_IPC_LOCK: counted, not limited' : memlock === null ? 'unlimited' : null,
      ),
    );
    const accounts = new Map<string, Map<string, number>>();
    for (const [name, value] of m) {
      const a = ACCOUNT_METRIC.exec(name);
      if (a === null) continue;
      const id = `${a[1]}/${a[2]}`;
      let fields = accounts.get(id);
      if (fields === undefined) accounts.set(id, (fields = new Map()));
      fields.set(a[3]!, value);
    }
    for (const [id, f] of accounts) {
      const kind = id.slice(0, id.indexOf('/'));
      rows.push(
        row(
          id,
          'locked memory it charged',
          'bytes',
          f.get('lockedBytesStart') ?? 0,
          f.get('lockedBytesPeak') ?? 0,
          null,
          'shares the process limit',
        ),
      );
      if (f.has('entriesPeak')) {
        const limit = f.get('entryLimit') ?? null;
        const resource = kind === 'type1' ? 'vfio_dma entries (dma_entry_limit)' : kind === 'iommufd' ? 'IOAS areas' : 'live TCEs';
        const note =
          limit !== null
            ? null
            : kind === 'iommufd'
              ? 'no entry limit (compat dma_avail reads U32_MAX)'
              : 'no entry limit (the window size bounds TCEs); counts the TCEs set through the container, not those KVM writes in-kernel (v2)';
        rows.push(row(id, resource, 'entries', f.get('entriesStart') ?? 0, f.get('entriesPeak') ?? 0, limit, note));
      }
    }
    answers.push({ variant, limitHit: m.get('limits.limitHit') === 1, rows });
  }
  return answers;
}

/** Bytes in binary units when exact ("64 KiB", "4 GiB"), else exact bytes with an approximation ("4294963200 bytes (~4.00 GiB)"). */
export function formatLimitBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(bytes);
  if (v < 1024) return `${bytes} bytes`;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = bytes < 0 ? '-' : '';
  return Number.isInteger(v) ? `${sign}${v} ${units[u]}` : `${bytes} bytes (~${sign}${v.toFixed(2)} ${units[u]})`;
}

export function formatLimitValue(value: number, unit: LimitsUnit): string {
  return unit === 'bytes' ? formatLimitBytes(value) : `${value} entries`;
}

function limitText(r: LimitsRow): string {
  const f = (n: number): string => formatLimitValue(n, r.unit);
  const against =
    r.limit === null
      ? (r.limitNote ?? 'no limit')
      : `limit ${f(r.limit)}, ${r.headroom! < 0 ? `short by ${f(-r.headroom!)}` : `headroom ${f(r.headroom!)}`}`;
  const suffice = r.wouldSuffice === null ? '' : ` - ${f(r.wouldSuffice)} would have sufficed`;
  return `start ${f(r.start)}, peak ${f(r.peak)} (${against}${suffice})`;
}

/**
 * One line per account, for a terminal: the QEMU process's locked memory against RLIMIT_MEMLOCK,
 * then each container's share of it and its mappings against its entry limit.
 */
export function limitsLines(answer: LimitsAnswer): string[] {
  const byAccount = new Map<string, LimitsRow[]>();
  for (const r of answer.rows) byAccount.set(r.account, [...(byAccount.get(r.account) ?? []), r]);
  return [...byAccount].map(([account, rows]) => {
    const parts = rows.map(
      (r) => `${r.unit === 'bytes' ? (account === 'QEMU process' ? 'locked_vm' : 'locked') : r.resource} ${limitText(r)}`,
    );
    return `${account}: ${parts.join('; ')}`;
  });
}
