// The pending-event set of one simulation: a binary min-heap ordered by (time, priority, sequence).
// Built for speed: parallel typed arrays, no object per event, no closures. The sequence number
// grows at every schedule call, so events at the same time and priority run in schedule order
// (SimPy's rule), which makes a run reproducible byte for byte. Keys are unique, so any correct
// priority queue pops the same sequence: how the heap moves entries never shows in a run.
// pop() leaves the root empty (a hole) and the next push fills it by sifting down from the root, so
// an event handler that schedules one event (most do) pays one sift instead of two; the hole is
// filled from the last entry (bottom-up: down the smaller children to a leaf, then up) only when
// the queue is read before anything was pushed. Which child a sift follows is an unpredictable
// comparison of two times; it is added to the index as a number instead of taken as a branch (equal
// times, which fall back to the key, are rare), which made the queue a sixth faster on amit/strict.
// Must not: know what an event means; it stores a handler index, a kind and two numeric arguments.

import type { SimTimeNs } from './simTime';

/** Priorities are small integers; lower runs first at equal time. */
export const MAX_PRIORITY = 511;
// Priority and sequence are packed into one double: priority * 2^43 + seq stays below 2^53.
const SEQ_SPAN = 2 ** 43;
/**
 * The eight per-entry arrays are views of one ArrayBuffer (eight typed arrays with backing stores
 * of their own cost V8 about three times as much to make and collect): four f64, then four i32.
 */
const BYTES_PER_ENTRY = 4 * 8 + 4 * 4;

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
  /** Logical size: with a hole, the entries are at heap indices 1..count. */
  private count = 0;
  /** pop() left index 0 empty. */
  private hole = false;
  private seq = 0;

  // Fields of the most recently popped event, read by the dispatcher without allocation.
  poppedTime = 0 as SimTimeNs;
  poppedHandler = 0;
  poppedKind = 0;
  poppedA = 0;
  poppedB = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    const c = this.capacity;
    const buf = new ArrayBuffer(BYTES_PER_ENTRY * c);
    this.heapTime = new Float64Array(buf, 0, c);
    this.heapKey = new Float64Array(buf, 8 * c, c);
    this.slotA = new Float64Array(buf, 16 * c, c);
    this.slotB = new Float64Array(buf, 24 * c, c);
    this.heapSlot = new Int32Array(buf, 32 * c, c);
    this.slotHandler = new Int32Array(buf, 36 * c, c);
    this.slotKind = new Int32Array(buf, 40 * c, c);
    this.freeSlots = new Int32Array(buf, 44 * c, c);
  }

  get size(): number {
    return this.count;
  }

  /** Total schedule calls so far (the next sequence number). */
  get scheduledTotal(): number {
    return this.seq;
  }

  peekTime(): SimTimeNs {
    if (this.hole) this.fillHole();
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
    if (this.hole) {
      // The new entry takes the root pop() emptied (indices 0..count then hold the heap).
      this.hole = false;
      this.count++;
      this.siftDown(time, key, slot);
    } else this.siftUp(this.count++, time, key, slot);
  }

  /** Removes the earliest event and exposes it through the popped* fields. */
  pop(): void {
    if (this.hole) this.fillHole();
    if (this.count === 0) throw new Error('EventQueue.pop on an empty queue');
    const slot = this.heapSlot[0]!;
    this.poppedTime = this.heapTime[0] as SimTimeNs;
    this.poppedHandler = this.slotHandler[slot]!;
    this.poppedKind = this.slotKind[slot]!;
    this.poppedA = this.slotA[slot]!;
    this.poppedB = this.slotB[slot]!;
    this.freeSlots[this.freeCount++] = slot;
    this.count--;
    this.hole = true;
  }

  /** Moves the last entry into the empty root: down the smaller children to a leaf, then up. */
  private fillHole(): void {
    this.hole = false;
    const n = this.count;
    if (n === 0) return;
    const ht = this.heapTime;
    const hk = this.heapKey;
    const hs = this.heapSlot;
    // The last entry sits at index n (the heap spans 0..n with the hole at 0).
    const time = ht[n]!;
    const key = hk[n]!;
    const slot = hs[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const rt = ht[right]!;
        const lt = ht[child]!;
        child += rt === lt ? +(hk[right]! < hk[child]!) : +(rt < lt);
      }
      ht[i] = ht[child]!;
      hk[i] = hk[child]!;
      hs[i] = hs[child]!;
      i = child;
    }
    this.siftUp(i, time, key, slot);
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

  /** Places an entry at the root of the heap of `count` entries (its old root is gone), top-down. */
  private siftDown(time: number, key: number, slot: number): void {
    const ht = this.heapTime;
    const hk = this.heapKey;
    const hs = this.heapSlot;
    const n = this.count;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const rt = ht[right]!;
        const lt = ht[child]!;
        child += rt === lt ? +(hk[right]! < hk[child]!) : +(rt < lt);
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
    const c = this.capacity * 2;
    const buf = new ArrayBuffer(BYTES_PER_ENTRY * c);
    this.heapTime = grown(this.heapTime, new Float64Array(buf, 0, c));
    this.heapKey = grown(this.heapKey, new Float64Array(buf, 8 * c, c));
    this.slotA = grown(this.slotA, new Float64Array(buf, 16 * c, c));
    this.slotB = grown(this.slotB, new Float64Array(buf, 24 * c, c));
    this.heapSlot = grown(this.heapSlot, new Int32Array(buf, 32 * c, c));
    this.slotHandler = grown(this.slotHandler, new Int32Array(buf, 36 * c, c));
    this.slotKind = grown(this.slotKind, new Int32Array(buf, 40 * c, c));
    this.freeSlots = grown(this.freeSlots, new Int32Array(buf, 44 * c, c));
    this.capacity = c;
  }
}

/** `b` (a larger view) holding all of `a`. */
function grown<T extends Float64Array | Int32Array>(a: T, b: T): T {
  b.set(a);
  return b;
}
