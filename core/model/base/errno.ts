// Error codes the modelled interfaces return, by their kernel/firmware names. Models return these
// numbers (0 = success) so hot paths allocate nothing; ops and the timeline show the names. The
// Linux table and its naming for people live in core/contract/errnoNames.ts (the renderer reads it too).
// Must not: invent codes; each family is copied by value from its header (include/uapi/asm-generic/
// errno-base.h and errno.h; PAPR hcall and RTAS return codes; QEMU's iova-tree.h).

export { LINUX_ERRNO, errnoSymbol } from '../../contract/errnoNames';
import { LINUX_ERRNO } from '../../contract/errnoNames';

export type LinuxErrnoName = keyof typeof LINUX_ERRNO;
export type LinuxErrno = (typeof LINUX_ERRNO)[LinuxErrnoName];

export const OK = 0;
export const { EPERM, ENOENT, ESRCH, EIO, ENXIO, E2BIG, ENOMEM, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL, ENOTTY, ENOSPC, EDEADLK } =
  LINUX_ERRNO;
export const { EOVERFLOW, EMSGSIZE, EOPNOTSUPP, EADDRINUSE } = LINUX_ERRNO;

/** glibc's strerror() text of each Linux errno, as QEMU prints it (error_report "... = %d (%s)", strerror(-ret)). */
export const LINUX_STRERROR: Readonly<Record<LinuxErrnoName, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  ENOMEM: 'Cannot allocate memory',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  ENOTTY: 'Inappropriate ioctl for device',
  ENOSPC: 'No space left on device',
  EDEADLK: 'Resource deadlock avoided',
  EOVERFLOW: 'Value too large for defined data type',
  EMSGSIZE: 'Message too long',
  EOPNOTSUPP: 'Operation not supported',
  EADDRINUSE: 'Address already in use',
};

const LINUX_NAMES = new Map<number, LinuxErrnoName>(Object.entries(LINUX_ERRNO).map(([k, v]) => [v, k as LinuxErrnoName]));

/** Symbolic name of a Linux errno (positive value), or null for 0. */
export function linuxErrnoName(code: number): LinuxErrnoName | null {
  if (code === 0) return null;
  const name = LINUX_NAMES.get(Math.abs(code));
  if (name === undefined) throw new Error(`unknown errno ${code}`);
  return name;
}
