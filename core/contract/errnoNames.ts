// The Linux errno table and the one way the lab names an errno for people: symbolically ("ENOMEM",
// never 12), in timeline arguments, ops results, exports and the UI. The simulator's models return
// these numbers (core/model/base/errno.ts re-exports the table); the renderer formats with errnoSymbol.
// Must not: import anything or invent codes (values from include/uapi/asm-generic/errno-base.h and errno.h).

/** Linux errno values (x86-64/s390/ppc64 share these). */
export const LINUX_ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
  ENOSPC: 28,
  EDEADLK: 35,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
} as const;

const LINUX_NAMES = new Map<number, string>(Object.entries(LINUX_ERRNO).map(([k, v]) => [v, k]));

/**
 * An errno as people read it: "ENOMEM" for 12 or -12, "" for 0, "errno 4095" for a code outside the
 * table (never a bare number).
 */
export function errnoSymbol(code: number): string {
  if (code === 0) return '';
  return LINUX_NAMES.get(Math.abs(code)) ?? `errno ${Math.abs(code)}`;
}
