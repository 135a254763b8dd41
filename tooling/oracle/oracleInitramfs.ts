// The oracle guest's initramfs: a static busybox, the /init of guestInit.sh and the kernel modules
// the configuration needs with everything they depend on (read from each module's modinfo
// "depends=" string), uncompressed so busybox's insmod can load them in dependency order. Written
// as a gzip'd cpio "newc" archive (the format the kernel unpacks, Documentation/driver-api/early-userspace).
// Must not: run the guest (oracleQemu.ts does) or fetch anything (oracleKernels.ts does).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { oracleCacheDir } from './oracleApt';

interface CpioEntry {
  readonly name: string;
  readonly mode: number;
  readonly data: Buffer;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** A cpio "newc" archive of the entries (directories first, as listed). */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const push = (name: string, mode: number, data: Buffer, ino: number) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const header = '070701' + [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex).join('');
    parts.push(Buffer.from(header), nameBytes, Buffer.alloc(pad4(110 + nameBytes.length)), data, Buffer.alloc(pad4(data.length)));
  };
  entries.forEach((e, i) => push(e.name, e.mode, e.data, i + 1));
  push('TRAILER!!!', 0, Buffer.alloc(0), 0);
  return Buffer.concat(parts);
}

/** Module file name -> module name as the kernel sees it ('-' and '_' are the same). */
function moduleName(file: string): string {
  return file.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

function indexModules(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ko(\.(xz|zst|gz))?$/.test(f)) index.set(moduleName(f), p);
    }
  };
  walk(join(modulesDir, 'kernel'));
  return index;
}

function readModule(path: string): Buffer {
  if (path.endsWith('.xz')) return execFileSync('xz', ['-dc', path], { maxBuffer: 1 << 28 });
  if (path.endsWith('.zst')) return execFileSync('zstd', ['-dc', path], { maxBuffer: 1 << 28 });
  if (path.endsWith('.gz')) return execFileSync('gzip', ['-dc', path], { maxBuffer: 1 << 28 });
  return readFileSync(path);
}

/** The modinfo "depends=" list of a module image. */
export function moduleDepends(image: Buffer): string[] {
  const at = image.indexOf('\0depends=');
  if (at < 0) return [];
  const end = image.indexOf(0, at + 1);
  const list = image.subarray(at + 9, end).toString('latin1');
  return list.length === 0 ? [] : list.split(',').map((m) => m.replace(/-/g, '_'));
}

/**
 * The wanted modules with their dependencies, dependencies first; names missing from the tree are
 * built into the kernel (or absent: the guest's insmod log shows it).
 */
export function moduleClosure(modulesDir: string, wanted: readonly string[]): { name: string; image: Buffer }[] {
  const index = indexModules(modulesDir);
  const out: { name: string; image: Buffer }[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const n = name.replace(/-/g, '_');
    if (seen.has(n)) return;
    seen.add(n);
    const path = index.get(n);
    if (path === undefined) return;
    const image = readModule(path);
    for (const d of moduleDepends(image)) visit(d);
    out.push({ name: n, image });
  };
  for (const w of wanted) visit(w);
  return out;
}

const GUEST_INIT = join(dirname(fileURLToPath(import.meta.url)), 'guestInit.sh');

export interface InitramfsRequest {
  /** Static busybox for the guest's architecture. */
  readonly busybox: string;
  /** /lib/modules/<release> of the kernel, or null. */
  readonly modulesDir: string | null;
  readonly modules: readonly string[];
}

/** Builds (or reuses) the initramfs; returns its path and the module load order for pcilab.mods. */
export function buildInitramfs(req: InitramfsRequest): { path: string; mods: string[] } {
  const init = readFileSync(GUEST_INIT);
  const mods = req.modulesDir === null ? [] : moduleClosure(req.modulesDir, req.modules);
  const key = createHash('sha256')
    .update(init)
    .update(req.busybox)
    .update(String(statSync(req.busybox).size))
    .update(mods.map((m) => `${m.name}:${m.image.length}`).join(','))
    .digest('hex')
    .slice(0, 16);
  const dir = join(oracleCacheDir(), 'initramfs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${key}.cpio.gz`);
  if (!existsSync(path)) {
    const dirs = ['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'lib/pcilab'].map((name) => ({
      name,
      mode: S_IFDIR | 0o755,
      data: Buffer.alloc(0),
    }));
    const entries: CpioEntry[] = [
      ...dirs,
      { name: 'init', mode: S_IFREG | 0o755, data: init },
      { name: 'bin/busybox', mode: S_IFREG | 0o755, data: readFileSync(req.busybox) },
      { name: 'bin/sh', mode: S_IFLNK | 0o777, data: Buffer.from('busybox') },
      ...mods.map((m) => ({ name: `lib/pcilab/${m.name}.ko`, mode: S_IFREG | 0o644, data: m.image })),
    ];
    writeFileSync(path, gzipSync(cpioNewc(entries), { level: 1 }));
  }
  return { path, mods: mods.map((m) => m.name) };
}
