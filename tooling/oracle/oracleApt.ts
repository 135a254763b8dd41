// Debian packages for the oracle without installing anything on the host: a private apt state per
// suite (lists, cache, an empty dpkg status) built from this machine's own apt sources, with the
// machine's codename replaced by the wanted suite, so whatever mirror and proxy the machine is
// configured for are used and no host is named here. Packages are fetched with `apt-get download`
// and unpacked with `dpkg-deb -x` into the oracle cache.
// Must not: install into the host system or write outside the cache directory.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The oracle's cache: PCILAB_ORACLE_CACHE, else ~/.cache/pcilab-oracle. */
export function oracleCacheDir(): string {
  const dir = process.env['PCILAB_ORACLE_CACHE'] ?? join(process.env['HOME'] ?? '/tmp', '.cache', 'pcilab-oracle');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The machine's Debian codename (/etc/os-release VERSION_CODENAME). */
export function hostCodename(): string {
  const text = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const m = /^VERSION_CODENAME=(\w+)/m.exec(text);
  if (m === null) throw new Error('oracle: /etc/os-release names no VERSION_CODENAME; the oracle needs a Debian machine with apt');
  return m[1]!;
}

/** deb822 stanzas of the machine's sources (sources.list.d/*.sources and one-line .list files turned into stanzas). */
function machineSources(): string[] {
  const stanzas: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
  for (const f of ['/etc/apt/sources.list', ...files]) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const s of text.split(/\n\s*\n/)) if (/^Types:.*\bdeb\b/m.test(s) && !/^Enabled:\s*no/im.test(s)) stanzas.push(s.trim());
    } else if (f.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
        if (m === null) continue;
        const signed = /signed-by=(\S+)/.exec(m[1] ?? '');
        stanzas.push(
          [`Types: deb`, `URIs: ${m[2]}`, `Suites: ${m[3]}`, `Components: ${m[4]}`, ...(signed ? [`Signed-By: ${signed[1]}`] : [])].join(
            '\n',
          ),
        );
      }
    }
  }
  return stanzas;
}

export interface AptState {
  readonly dir: string;
  readonly suite: string;
  readonly arches: readonly string[];
  /** Only the suite itself (no -updates, no -security): a fallback when a pool file is missing there. */
  readonly mainOnly: boolean;
}

/** The machine's Debian sources for `suite`: every stanza whose suites name the machine's codename, renamed. */
function sourcesFor(suite: string, mainOnly: boolean): string {
  const codename = hostCodename();
  const out: string[] = [];
  for (const s of machineSources()) {
    const m = /^Suites:\s*(.+)$/m.exec(s);
    if (m === null) continue;
    const suites = m[1]!.split(/\s+/).filter((x) => x === codename || x.startsWith(`${codename}-`));
    const renamed = suites.map((x) => suite + x.slice(codename.length)).filter((x) => !mainOnly || x === suite);
    if (renamed.length === 0 || !/^Components:.*\bmain\b/m.test(s)) continue;
    out.push(s.replace(/^Suites:.*$/m, `Suites: ${renamed.join(' ')}`).replace(/^Components:.*$/m, 'Components: main'));
  }
  if (out.length === 0) throw new Error(`oracle: no apt source of this machine names ${codename}; cannot derive one for ${suite}`);
  return out.join('\n\n') + '\n';
}

function aptOptions(st: AptState): string[] {
  const o = [
    `Dir::State=${join(st.dir, 'state')}`,
    `Dir::State::status=${join(st.dir, 'status')}`,
    `Dir::Cache=${join(st.dir, 'cache')}`,
    'Dir::Etc::SourceList=/dev/null',
    `Dir::Etc::SourceParts=${join(st.dir, 'sources.list.d')}`,
    `APT::Architecture=${st.arches[0]}`,
    ...st.arches.map((a) => `APT::Architectures::=${a}`),
  ];
  return o.flatMap((x) => ['-o', x]);
}

/** Creates (once) and updates (once per `maxAgeH`) a private apt state for suite + architectures. */
export function aptState(suite: string, arches: readonly string[], mainOnly = false, maxAgeH = 24): AptState {
  const dir = join(oracleCacheDir(), 'apt', `${suite}${mainOnly ? '-main' : ''}-${arches.join('+')}`);
  const st: AptState = { dir, suite, arches, mainOnly };
  for (const d of ['state/lists/partial', 'cache/archives/partial', 'sources.list.d']) mkdirSync(join(dir, d), { recursive: true });
  if (!existsSync(join(dir, 'status'))) writeFileSync(join(dir, 'status'), '');
  writeFileSync(join(dir, 'sources.list.d', 'oracle.sources'), sourcesFor(suite, mainOnly));
  const stamp = join(dir, 'updated');
  const fresh = existsSync(stamp) && Date.now() - Number(readFileSync(stamp, 'utf8')) < maxAgeH * 3600e3;
  if (!fresh) {
    process.stderr.write(`oracle: apt-get update for ${suite} (${arches.join(', ')})\n`);
    execFileSync('apt-get', [...aptOptions(st), '-qq', 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(stamp, String(Date.now()));
  }
  return st;
}

export function aptCache(st: AptState, args: readonly string[]): string {
  return execFileSync('apt-cache', [...aptOptions(st), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The package a metapackage depends on first (linux-image-cloud-amd64 -> linux-image-6.1.0-NN-cloud-amd64). */
export function metapackageTarget(st: AptState, meta: string): string {
  const out = aptCache(st, ['depends', meta]);
  const m = /Depends: (\S+)/.exec(out);
  if (m === null) throw new Error(`oracle: ${meta} in ${st.suite} depends on nothing`);
  return m[1]!.replace(/:\w+$/, '');
}

/** Candidate packages for a kernel flavour, newest first: the metapackage's target, then every other ABI of the flavour. */
export function kernelCandidates(st: AptState, meta: string, arch: string): string[] {
  const target = metapackageTarget(st, `${meta}:${arch}`);
  const flavour = meta.replace(/^linux-image-/, '');
  const others = aptCache(st, ['search', '--names-only', `^linux-image-[0-9].*-${flavour}$`])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((p) => p.length > 0 && p !== target);
  others.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  return [target, ...others];
}

export interface Unpacked {
  readonly pkg: string;
  readonly version: string;
  readonly dir: string;
}

/** apt-get download + dpkg-deb -x into the cache (once); throws with apt's message when the mirror lacks it. */
export function downloadAndUnpack(st: AptState, pkg: string, arch: string): Unpacked {
  const root = join(oracleCacheDir(), 'pkgs', `${pkg}_${arch}`);
  const done = join(root, 'unpacked.json');
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Unpacked;
  const tmp = `${root}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync('apt-get', [...aptOptions(st), '-qq', 'download', `${pkg}:${arch}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`apt-get download ${pkg}:${arch}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
  }
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  if (deb === undefined) throw new Error(`oracle: apt-get download ${pkg}:${arch} left no .deb`);
  const version = decodeURIComponent(deb.split('_')[1]!);
  execFileSync('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'root')]);
  rmSync(join(tmp, deb));
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  const unpacked: Unpacked = { pkg, version, dir: join(root, 'root') };
  writeFileSync(done, JSON.stringify(unpacked));
  return unpacked;
}
