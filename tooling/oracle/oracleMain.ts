// `npm run test:kernel`: boots every oracle configuration (fetching kernels and busybox it lacks),
// reads what the real kernel did, runs the same scenario in the lab, compares every invariant and
// replays the kernel's IOVA allocations through the lab's allocator. Exits 1 when a configuration
// could not run (no mirror, no QEMU: never a silent skip) or an invariant disagrees without an
// explanation. Flags: --only SUBSTR (configurations whose id contains it), --reuse (take captures
// already in the cache instead of booting), --write-docs (docs/oracle.md), --write-fixtures
// (tooling/oracle/fixtures/), --jobs N (parallel guests; default PCILAB_ORACLE_JOBS or the CPU count).
// Must not: change the model; it reports.

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { KERNELS, resolveKernel, type ResolvedKernel } from './oracleKernels';
import { oracleMatrix, type OracleConfig } from './oracleMatrix';
import { cachedCapture, keepCapture, runConfig, type OracleCapture } from './oracleQemu';
import { observeKernel } from './oracleObserve';
import { runLab } from './oracleLab';
import { compareConfig, replayRow, type InvariantRow } from './oracleCompare';
import { FIXTURE_CONFIGS, kprobeMissesTotal, writeFixture } from './oracleFixtures';
import { renderOracleReport, type ConfigReport } from './oracleReport';

function flag(name: string): boolean {
  return process.argv.includes(name);
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Boots one configuration, once more if the first boot fails (TCG under load occasionally trips early boot checks). */
async function capture(c: OracleConfig, kernel: ResolvedKernel, attempts: string[]): Promise<OracleCapture> {
  if (flag('--reuse')) {
    const cached = cachedCapture(c);
    if (cached !== null) return cached;
  }
  try {
    return await runConfig(c, kernel);
  } catch (e) {
    attempts.push((e as Error).message.split('\n')[0]!);
    process.stderr.write(`oracle: ${c.id}: ${(e as Error).message.split('\n')[0]}; booting once more\n`);
    return await runConfig(c, kernel);
  }
}

/** Every invariant of one capture, the IOVA replay last. */
function evaluate(c: OracleConfig, cap: OracleCapture): InvariantRow[] {
  const k = observeKernel(cap);
  return [...compareConfig(c, k, runLab(c)), replayRow(c, cap, k)];
}

function unexplainedRows(rows: readonly InvariantRow[]): InvariantRow[] {
  return rows.filter((r) => r.agree === false && r.explanation === null);
}

async function main(): Promise<number> {
  const only = option('--only');
  const configs = oracleMatrix().filter((c) => only === undefined || c.id.includes(only));
  const jobs = Number(option('--jobs') ?? process.env['PCILAB_ORACLE_JOBS'] ?? availableParallelism());
  const kernels = new Map<string, ResolvedKernel>();
  // Fetching is sequential and loud: a machine without the mirror fails here, naming what it lacks.
  for (const c of configs) if (!kernels.has(c.kernel)) kernels.set(c.kernel, resolveKernel(KERNELS[c.kernel]));
  const reports: ConfigReport[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < configs.length) {
      const c = configs[next++]!;
      const retries: string[] = [];
      try {
        let cap = await capture(c, kernels.get(c.kernel)!, retries);
        let rows = evaluate(c, cap);
        // A capture whose kprobes missed hits (kprobe_profile) is an incomplete observation: when
        // the replay cannot place what was lost, that configuration is captured once more.
        // A lazy configuration's IOVA replay also depends on how the flush-queue timer interleaved
        // with the IOs in that capture, and an interleaving the trace cannot show (an interrupt
        // inside an allocation, say) can make one capture disagree: it is captured once more, the
        // disagreeing capture kept in the cache (runs/<id>.disagreed) and named in the report. A
        // model error fails both captures.
        const missed = kprobeMissesTotal(cap.sections['kprobe_profile'] ?? '');
        const bad0 = unexplainedRows(rows);
        const timerDependent = c.mode === 'lazy' && bad0.every((r) => r.id === 'iova-replay');
        if (!flag('--reuse') && bad0.length > 0 && (missed > 0 || timerDependent)) {
          const kept = keepCapture(c, 'disagreed');
          const first = bad0.map((r) => `${r.id} (${r.lab})`).join(', ');
          retries.push(`${missed > 0 ? `kprobes missed ${missed} hit(s); ` : ''}a first capture disagreed: ${first}; kept in ${kept}`);
          process.stderr.write(`oracle: ${c.id}: a first capture disagreed (${first}); kept in ${kept}; capturing once more\n`);
          cap = await runConfig(c, kernels.get(c.kernel)!);
          rows = evaluate(c, cap);
        }
        const k = observeKernel(cap);
        reports.push({ config: c, capture: cap, rows, retries });
        if (flag('--write-fixtures') && FIXTURE_CONFIGS[c.id] !== undefined) writeFixture(cap, k);
        const bad = unexplainedRows(rows);
        process.stderr.write(
          `oracle: ${c.id}: ${rows.filter((r) => r.agree === true).length} agree, ${rows.filter((r) => r.agree === false && r.explanation !== null).length} explained, ${bad.length} unexplained (${(cap.wallMs / 1000).toFixed(0)} s)\n`,
        );
        for (const r of bad) process.stderr.write(`  DISAGREES ${r.id}: kernel ${r.kernel} | lab ${r.lab}\n`);
      } catch (e) {
        failures.push(`${c.id}: ${(e as Error).message}`);
        process.stderr.write(`oracle: ${c.id} FAILED: ${(e as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  const order = new Map(configs.map((c, i) => [c.id, i]));
  reports.sort((a, b) => order.get(a.config.id)! - order.get(b.config.id)!);
  if (flag('--write-docs')) {
    const path = join(process.cwd(), 'docs', 'oracle.md');
    writeFileSync(path, renderOracleReport(reports, failures));
    process.stderr.write(`oracle: wrote ${path}\n`);
  }
  const unexplained = reports.flatMap((r) =>
    r.rows.filter((x) => x.agree === false && x.explanation === null).map((x) => `${r.config.id}: ${x.id}`),
  );
  process.stderr.write(
    `oracle: ${reports.length}/${configs.length} configurations ran in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
      `${unexplained.length} unexplained disagreement(s), ${failures.length} failure(s)\n`,
  );
  for (const f of failures) process.stderr.write(`  FAILED ${f.split('\n')[0]}\n`);
  for (const u of unexplained) process.stderr.write(`  UNEXPLAINED ${u}\n`);
  return failures.length === 0 && unexplained.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`oracle: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
