// The kernels, busybox builds and QEMU binaries the oracle runs, resolved and cached: a kernel is
// named by suite and metapackage (the mirror keeps only current ABIs, so the metapackage says which
// image to take); when the mirror lacks that image's file, older images of the same flavour are
// tried. QEMU comes from the host's packages (.ci/run installs them); a missing one is an error
// that says which package to install, never a skip.
// Must not: build initramfs images or start guests.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { aptState, downloadAndUnpack, hostCodename, kernelCandidates } from './oracleApt';

export type OracleArch = 'x86_64' | 's390x' | 'ppc64le';

const DEB_ARCH: Record<OracleArch, string> = { x86_64: 'amd64', s390x: 's390x', ppc64le: 'ppc64el' };

export interface KernelSpec {
  /** Short name used in configuration ids ("6.1", "6.12"). */
  readonly id: string;
  readonly arch: OracleArch;
  /** Debian suite whose metapackage names the image. */
  readonly suite: string;
  readonly meta: string;
}

export const KERNELS = {
  'x86-6.1': { id: '6.1', arch: 'x86_64', suite: 'bookworm', meta: 'linux-image-cloud-amd64' },
  'x86-6.12': { id: '6.12', arch: 'x86_64', suite: 'trixie', meta: 'linux-image-cloud-amd64' },
  's390x-6.12': { id: '6.12', arch: 's390x', suite: 'trixie', meta: 'linux-image-s390x' },
  'ppc64le-6.12': { id: '6.12', arch: 'ppc64le', suite: 'trixie', meta: 'linux-image-powerpc64le' },
} as const satisfies Record<string, KernelSpec>;

export type KernelKey = keyof typeof KERNELS;

export interface ResolvedKernel {
  readonly spec: KernelSpec;
  readonly pkg: string;
  readonly version: string;
  /** `uname -r` */
  readonly release: string;
  readonly image: string;
  readonly modulesDir: string | null;
}

function findUnder(root: string, rel: readonly string[]): string | null {
  for (const r of rel) if (existsSync(join(root, r))) return join(root, r);
  return null;
}

/** Downloads (once) the newest image of the spec's flavour the mirror serves. */
export function resolveKernel(spec: KernelSpec): ResolvedKernel {
  const arch = DEB_ARCH[spec.arch];
  const errors: string[] = [];
  for (const mainOnly of [false, true]) {
    const st = aptState(spec.suite, [arch], mainOnly);
    for (const pkg of kernelCandidates(st, spec.meta, arch)) {
      try {
        const u = downloadAndUnpack(st, pkg, arch);
        const boot = join(u.dir, 'boot');
        const image = readdirSync(boot).find((f) => /^vmlinu[xz]-/.test(f));
        if (image === undefined) throw new Error(`${pkg} has no /boot/vmlinuz or vmlinux`);
        const release = image.replace(/^vmlinu[xz]-/, '');
        const modulesDir = findUnder(u.dir, [`usr/lib/modules/${release}`, `lib/modules/${release}`]);
        return { spec, pkg, version: u.version, release, image: join(boot, image), modulesDir };
      } catch (e) {
        errors.push(`${pkg}${mainOnly ? ' (main suite only)' : ''}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  throw new Error(`oracle: no ${spec.meta} image of ${spec.suite} could be fetched:\n  ${errors.join('\n  ')}`);
}

/** A static busybox for the guest's architecture, from the machine's own suite. */
export function resolveBusybox(arch: OracleArch): string {
  const deb = DEB_ARCH[arch];
  const u = downloadAndUnpack(aptState(hostCodename(), [deb]), 'busybox-static', deb);
  const path = findUnder(u.dir, ['usr/bin/busybox', 'bin/busybox']);
  if (path === null) throw new Error('oracle: busybox-static has no busybox binary');
  return path;
}

const QEMU: Record<OracleArch, { binary: string; pkg: string }> = {
  x86_64: { binary: 'qemu-system-x86_64', pkg: 'qemu-system-x86' },
  s390x: { binary: 'qemu-system-s390x', pkg: 'qemu-system-misc' },
  ppc64le: { binary: 'qemu-system-ppc64', pkg: 'qemu-system-ppc' },
};

/** The QEMU binary for the guest's architecture and its version line; throws naming the package when missing. */
export function resolveQemu(arch: OracleArch): { binary: string; version: string } {
  const { binary, pkg } = QEMU[arch];
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
    return { binary, version: /version (\S+)/.exec(out)?.[1] ?? out.split('\n')[0]! };
  } catch {
    throw new Error(`oracle: ${binary} is missing; install it with: apt-get install ${pkg} (.ci/run does)`);
  }
}
