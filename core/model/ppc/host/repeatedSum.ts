// Left-to-right sums of one repeated cost, as the per-entry loops of the host TCE paths add them:
// KVM's kvmppc_tce_iommu_map / _unmap entry by entry (a PTE write, then the TCE kills), and each
// tce_exchange_pseries (H_GET_TCE + H_PUT_TCE to PowerVM) of an L1 writing host pages one after the
// other. The loop is the definition; when every partial sum is an exact integer (integer costs and
// start, total below 2^53) the product gives the same number, bit for bit, in O(1).
// Must not: change a result bit (repeatedSum.test.ts compares both forms on random inputs).

const EXACT_LIMIT = 2 ** 53;

function exactIntegers(x: number, step: number, n: number): boolean {
  return x >= 0 && step >= 0 && Number.isInteger(x) && Number.isInteger(step) && Number.isInteger(n) && n > 0;
}

/** `x += a`, n times. */
export function addRepeated(x: number, a: number, n: number): number {
  if (exactIntegers(x, a, n)) {
    // Rounding is monotonic: a computed total below 2^53 means the true one is, so every step was exact.
    const total = x + n * a;
    if (total < EXACT_LIMIT) return total;
  }
  for (let i = 0; i < n; i++) x += a;
  return x;
}

/** `x = x + a + b`, n times. */
export function addRepeated2(x: number, a: number, b: number, n: number): number {
  if (exactIntegers(x, a, n) && b >= 0 && Number.isInteger(b)) {
    const total = x + n * (a + b);
    if (total < EXACT_LIMIT) return total;
  }
  for (let i = 0; i < n; i++) x = x + a + b;
  return x;
}
