// The baseline for the event-queue bench: the same binary-heap work on bare time keys in one
// Float64Array, with no priority, sequence number, slot bookkeeping or payload. The ratio of the
// lab's EventQueue to this is what the extra ordering and payload cost.

export class BareHeap {
  private keys: Float64Array;
  private n = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  push(key: number): void {
    const k = this.keys;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      i = p;
    }
    k[i] = key;
  }

  pop(): number {
    const k = this.keys;
    const top = k[0]!;
    const last = k[--this.n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= this.n) break;
      if (c + 1 < this.n && k[c + 1]! < k[c]!) c++;
      if (last <= k[c]!) break;
      k[i] = k[c]!;
      i = c;
    }
    k[i] = last;
    return top;
  }
}
