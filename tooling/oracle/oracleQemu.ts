// Boots one oracle configuration under QEMU (TCG) and collects what it hands back: the guest's
// output stream (base64 gzip between "==pcilab:begin" and "==pcilab:done", split into its
// "==pcilab:<section>" parts), QEMU's -trace log and the serial console. The guest powers itself
// off; once the done marker is in, the machine is stopped here too, and a run that does not finish
// in time fails with the tail of its console.
// Must not: decide what a trace means (core/trace and oracleCompare.ts do).

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { oracleCacheDir } from './oracleApt';
import { buildInitramfs } from './oracleInitramfs';
import { resolveBusybox, resolveKernel, resolveQemu, KERNELS, type ResolvedKernel } from './oracleKernels';
import { guestLaunch, type OracleConfig } from './oracleMatrix';

/** What one configuration's run left: the guest's sections, QEMU's log, versions. */
export interface OracleCapture {
  readonly config: OracleConfig;
  readonly kernelPkg: string;
  readonly kernelVersion: string;
  readonly kernelRelease: string;
  readonly qemuVersion: string;
  /** Guest output sections by name (uname, cmdline, dd, queue, groups, devices, stats_*, dmesg, trace...). */
  readonly sections: Readonly<Record<string, string>>;
  readonly qemuLog: string;
  readonly wallMs: number;
}

const RUN_TIMEOUT_MS = Number(process.env['PCILAB_ORACLE_TIMEOUT_MS'] ?? 240_000);

/** Splits the decoded guest stream into "==pcilab:<name>" sections. */
export function guestSections(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name: string | null = null;
  let buf: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^==pcilab:(\w+)$/.exec(line);
    if (m !== null) {
      if (name !== null) out[name] = buf.join('\n');
      name = m[1]!;
      buf = [];
    } else if (name !== null) buf.push(line);
  }
  if (name !== null && name !== 'end') out[name] = buf.join('\n');
  return out;
}

/** The gzip stream the guest wrote in base64 between the begin and done markers, decoded. */
export function decodeGuestOutput(raw: string): string {
  const begin = raw.indexOf('==pcilab:begin');
  const done = raw.indexOf('==pcilab:done');
  if (begin < 0 || done < 0) throw new Error('guest output has no complete ==pcilab:begin ... ==pcilab:done block');
  const b64 = raw.slice(begin + '==pcilab:begin'.length, done).replace(/[^A-Za-z0-9+/=]/g, '');
  return gunzipSync(Buffer.from(b64, 'base64')).toString('utf8');
}

/** Keeps a capture beside the cache's current one (runs/<id>.<suffix>/), for a later look. */
export function keepCapture(c: OracleConfig, suffix: string): string {
  const to = `${runDir(c)}.${suffix}`;
  rmSync(to, { recursive: true, force: true });
  cpSync(runDir(c), to, { recursive: true });
  return to;
}

function runDir(c: OracleConfig): string {
  return join(oracleCacheDir(), 'runs', c.id);
}

/** Boots the configuration; the capture is kept in the cache (runs/<id>/capture.json.gz). */
export async function runConfig(c: OracleConfig, kernel: ResolvedKernel = resolveKernel(KERNELS[c.kernel])): Promise<OracleCapture> {
  const launch = guestLaunch(c);
  const qemu = resolveQemu(launch.arch);
  const busybox = resolveBusybox(launch.arch);
  const initrd = buildInitramfs({ busybox, modulesDir: kernel.modulesDir, modules: launch.modules });
  const dir = runDir(c);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = { disk: join(dir, 'disk.img'), out: join(dir, 'out.txt'), console: join(dir, 'console.txt'), log: join(dir, 'qemu.log') };
  writeFileSync(files.disk, '');
  truncateSync(files.disk, 64 * 1024 * 1024);
  const cmdline = `${launch.cmdline} pcilab.mods=${initrd.mods.join(',')}`;
  const args = ['-kernel', kernel.image, '-initrd', initrd.path, '-append', cmdline, ...launch.qemuArgs(files)];
  writeFileSync(join(dir, 'qemu-args.json'), JSON.stringify([qemu.binary, ...args], null, 1));
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(qemu.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let doneAt = 0;
    const poll = setInterval(() => {
      const out = existsSync(files.out) ? readFileSync(files.out, 'latin1') : '';
      if (doneAt === 0 && out.includes('==pcilab:done')) doneAt = Date.now();
      if (doneAt > 0 && Date.now() - doneAt > 1000) child.kill('SIGTERM');
      if (Date.now() - started > RUN_TIMEOUT_MS) child.kill('SIGKILL');
    }, 200);
    child.on('exit', () => {
      clearInterval(poll);
      const out = existsSync(files.out) ? readFileSync(files.out, 'latin1') : '';
      if (out.includes('==pcilab:done')) resolve();
      else {
        const tail = existsSync(files.console) ? readFileSync(files.console, 'utf8').split('\n').slice(-15).join('\n') : '';
        reject(new Error(`oracle: ${c.id} did not finish (${Date.now() - started} ms)\n${stderr.trim()}\n--- console tail ---\n${tail}`));
      }
    });
    child.on('error', reject);
  });
  const sections = guestSections(decodeGuestOutput(readFileSync(files.out, 'latin1')));
  const capture: OracleCapture = {
    config: c,
    kernelPkg: kernel.pkg,
    kernelVersion: kernel.version,
    kernelRelease: kernel.release,
    qemuVersion: qemu.version,
    sections,
    qemuLog: readFileSync(files.log, 'utf8'),
    wallMs: Date.now() - started,
  };
  writeFileSync(join(dir, 'capture.json.gz'), gzipSync(JSON.stringify(capture)));
  rmSync(files.disk);
  return capture;
}

/** The capture a previous run left in the cache, or null. */
export function cachedCapture(c: OracleConfig): OracleCapture | null {
  const path = join(runDir(c), 'capture.json.gz');
  if (!existsSync(path)) return null;
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as OracleCapture;
}
