// Counter series as stored (run_counters.t_ns / vals): float64 arrays as BLOBs, native byte order
// (the database never leaves the machine that wrote it except through bundles, which carry JSON).
// Must not: know which table a blob belongs to.

export function floatsToBlob(values: readonly number[]): Buffer {
  const arr = Float64Array.from(values);
  return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
}

/** Copies first: a BLOB's Buffer may start at an offset that is not a multiple of 8. */
export function blobToFloats(blob: Buffer): number[] {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return Array.from(new Float64Array(copy.buffer));
}
