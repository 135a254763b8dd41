// Return codes of PAPR hypercalls and RTAS calls, by the names the kernel and QEMU use, with the
// symbolic names ops scripts report ("H_PARAMETER", "RTAS_PARAM_ERROR"; docs/model.md#ops-scripts).
// Sources: QEMU include/hw/ppc/spapr.h (H_SUCCESS .. H_LONG_BUSY_*, RTAS_OUT_*), Linux
// arch/powerpc/include/asm/hvcall.h and rtas.h.
// Must not: hold hypercall or RTAS semantics (spaprHcalls.ts, spaprRtasDdw.ts, eeh/*).

export const H_SUCCESS = 0;
export const H_HARDWARE = -1;
export const H_FUNCTION = -2;
export const H_PRIVILEGE = -3;
export const H_PARAMETER = -4;
export const H_NO_MEM = -9;
export const H_RESOURCE = -16;
/** H_LONG_BUSY_ORDER_1_MSEC .. H_LONG_BUSY_ORDER_100_SEC: 9900..9905. */
export const H_LONG_BUSY_ORDER_1_MSEC = 9900;
export const H_LONG_BUSY_ORDER_100_SEC = 9905;

const HCALL_NAMES: ReadonlyMap<number, string> = new Map([
  [H_SUCCESS, 'H_SUCCESS'],
  [H_HARDWARE, 'H_HARDWARE'],
  [H_FUNCTION, 'H_FUNCTION'],
  [H_PRIVILEGE, 'H_PRIVILEGE'],
  [H_PARAMETER, 'H_PARAMETER'],
  [H_NO_MEM, 'H_NO_MEM'],
  [H_RESOURCE, 'H_RESOURCE'],
  [9900, 'H_LONG_BUSY_ORDER_1_MSEC'],
  [9901, 'H_LONG_BUSY_ORDER_10_MSEC'],
  [9902, 'H_LONG_BUSY_ORDER_100_MSEC'],
  [9903, 'H_LONG_BUSY_ORDER_1_SEC'],
  [9904, 'H_LONG_BUSY_ORDER_10_SEC'],
  [9905, 'H_LONG_BUSY_ORDER_100_SEC'],
]);

/** Symbolic name of an hcall return code; null for H_SUCCESS (no error). */
export function hcallErrorName(code: number): string | null {
  if (code === H_SUCCESS) return null;
  return HCALL_NAMES.get(code) ?? `H_UNKNOWN(${code})`;
}

export const RTAS_OUT_SUCCESS = 0;
/** ibm,slot-error-detail: nothing logged. Not an error. */
export const RTAS_OUT_NO_ERRORS_FOUND = 1;
export const RTAS_OUT_HW_ERROR = -1;
export const RTAS_OUT_BUSY = -2;
export const RTAS_OUT_PARAM_ERROR = -3;

const RTAS_ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [RTAS_OUT_HW_ERROR, 'RTAS_HW_ERROR'],
  [RTAS_OUT_BUSY, 'RTAS_BUSY'],
  [RTAS_OUT_PARAM_ERROR, 'RTAS_PARAM_ERROR'],
]);

/** Symbolic name of an RTAS status; null for the non-error statuses 0 (success) and 1 (no errors found). */
export function rtasErrorName(status: number): string | null {
  if (status === RTAS_OUT_SUCCESS || status === RTAS_OUT_NO_ERRORS_FOUND) return null;
  return RTAS_ERROR_NAMES.get(status) ?? `RTAS_UNKNOWN(${status})`;
}
