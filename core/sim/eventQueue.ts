// The pending-event set of one simulation: a binary min-heap ordered by (time, priority, sequence).
// Built for speed: parallel typed arrays, no object per event, no closures. The sequence number
// grows at every schedule call, so events at the same time and priority run in schedule order
// (SimPy's rule), which makes a run reproducible byte for byte.
// Must not: know what an event means; it stores a handler index, a kind and two numeric arguments.

import type { SimTimeNs } from './simTime';

/** Priorities are small integers; lower runs first at equal time. */
export const MAX_PRIORITY = 511;
// Priority and sequence are packed into one double: priority * 2^43 + seq stays below 2^53.
const SEQ_SPAN = 2 ** 43;

export class EventQueue {
  private capacity: number;
  private heapTime: Float64Array;
  private heapKey: Float64Array;
  private heapSlot: Int32Array;
  private slotHandler: Int32Array;
  private slotKind: Int32Array;
  private slotA: Float64Array;
  private slotB: Float64Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private nextFreshSlot = 0;
  private count = 0;
  private seq = 0;

  // Fields of the most recently popped event, read by the dispatcher without allocation.
  poppedTime = 0 as SimTimeNs;
  poppedHandler = 0;
  poppedKind = 0;
  poppedA = 0;
  poppedB = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.heapTime = new Float64Array(this.capacity);
    this.heapKey = new Float64Array(this.capacity);
    this.heapSlot = new Int32Array(this.capacity);
    this.slotHandler = new Int32Array(this.capacity);
    this.slotKind = new Int32Array(this.capacity);
    this.slotA = new Float64Array(this.capacity);
    this.slotB = new Float64Array(this.capacity);
    this.freeSlots = new Int32Array(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Total schedule calls so far (the next sequence number). */
  get scheduledTotal(): number {
    return this.seq;
  }

  peekTime(): SimTimeNs {
    if (this.count === 0) throw new Error('EventQueue.peekTime on an empty queue');
    return this.heapTime[0] as SimTimeNs;
  }

  push(time: SimTimeNs, priority: number, handler: number, kind: number, a: number, b: number): void {
    if (priority < 0 || priority > MAX_PRIORITY || (priority | 0) !== priority) {
      throw new RangeError(`event priority must be an integer in 0..${MAX_PRIORITY}, got ${priority}`);
    }
    if (this.seq >= SEQ_SPAN) throw new RangeError('EventQueue: sequence space exhausted');
    if (this.count === this.capacity) this.grow();
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount]! : this.nextFreshSlot++;
    this.slotHandler[slot] = handler;
    this.slotKind[slot] = kind;
    this.slotA[slot] = a;
    this.slotB[slot] = b;
    const key = priority * SEQ_SPAN + this.seq++;
    this.siftUp(this.count++, time, key, slot);
  }

  /** Removes the earliest event and exposes it through the popped* fields. */
  pop(): void {
    if (this.count === 0) throw new Error('EventQueue.pop on an empty queue');
    const slot = this.heapSlot[0]!;
    this.poppedTime = this.heapTime[0] as SimTimeNs;
    this.poppedHandler = this.slotHandler[slot]!;
    this.poppedKind = this.slotKind[slot]!;
    this.poppedA = this.slotA[slot]!;
    this.poppedB = this.slotB[slot]!;
    this.freeSlots[this.freeCount++] = slot;
    const last = --this.count;
    if (last > 0) this.siftDown(0, this.heapTime[last]!, this.heapKey[last]!, this.heapSlot[last]!);
  }

  private siftUp(start: number, time: number, key: number, slot: number): void {
    const ht = this.heapTime;
    const hk = this.heapKey;
    const hs = this.heapSlot;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = ht[parent]!;
      if (pt < time || (pt === time && hk[parent]! < key)) break;
      ht[i] = pt;
      hk[i] = hk[parent]!;
      hs[i] = hs[parent]!;
      i = parent;
    }
    ht[i] = time;
    hk[i] = key;
    hs[i] = slot;
  }

  private siftDown(start: number, time: number, key: number, slot: number): void {
    const ht = this.heapTime;
    const hk = this.heapKey;
    const hs = this.heapSlot;
    const n = this.count;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (ht[right]! < ht[child]! || (ht[right] === ht[child] && hk[right]! < hk[child]!))) {
        child = right;
      }
      const ct = ht[child]!;
      if (time < ct || (time === ct && key < hk[child]!)) break;
      ht[i] = ct;
      hk[i] = hk[child]!;
      hs[i] = hs[child]!;
      i = child;
    }
    ht[i] = time;
    hk[i] = key;
    hs[i] = slot;
  }

  private grow(): void {
    const next = this.capacity * 2;
    this.heapTime = growFloat(this.heapTime, next);
    this.heapKey = growFloat(this.heapKey, next);
    this.heapSlot = growInt(this.heapSlot, next);
    this.slotHandler = growInt(this.slotHandler, next);
    this.slotKind = growInt(this.slotKind, next);
    this.slotA = growFloat(this.slotA, next);
    this.slotB = growFloat(this.slotB, next);
    this.freeSlots = growInt(this.freeSlots, next);
    this.capacity = next;
  }
}

function growFloat(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

function growInt(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
