// The run queue's pool of warm workers, with stand-in workers: one spare per free slot, taken by
// runs started together (no worker spawned at Start), refilled when a slot frees, never spawned for
// a slot a run uses, and every spare terminated at dispose.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RunQueue, type QueuedRun } from './runQueue';
import type { RunStore } from '../../db/runStore';
import type { RunWorkerData, RunWorkerJob, RunWorkerMessage } from './runWorkerProtocol';

class FakeWorker extends EventEmitter {
  readonly posted: RunWorkerJob[] = [];
  terminated = false;
  referenced = true;
  constructor(readonly data: RunWorkerData | null) {
    super();
  }
  postMessage(job: RunWorkerJob): void {
    this.posted.push(job);
  }
  ref(): void {
    this.referenced = true;
  }
  unref(): void {
    this.referenced = false;
  }
  terminate(): Promise<number> {
    this.terminated = true;
    queueMicrotask(() => this.emit('exit', 1));
    return Promise.resolve(1);
  }
  /** The run it was given finishes. */
  finish(): void {
    this.emit('message', { type: 'done', status: 'completed', error: null } satisfies RunWorkerMessage);
    this.emit('exit', 0);
  }
}

const runs = { heartbeat: () => undefined, finish: () => undefined } as unknown as RunStore;
const job = (runId: number): QueuedRun => ({ runId, name: `r${runId}`, plan: { scenario: {}, variants: [], claims: [] }, durationNs: 1e6 });

function poolOf(concurrency: number): { queue: RunQueue; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const spawn = (data: RunWorkerData | null): Worker => {
    const w = new FakeWorker(data);
    workers.push(w);
    return w as unknown as Worker;
  };
  return { queue: new RunQueue(spawn, '/lab.db', runs, Date.now, concurrency, undefined, true), workers };
}

describe('the warm worker pool', () => {
  it('keeps one spare per free slot: runs started together all get a warm worker, and the pool refills as slots free', () => {
    const { queue, workers } = poolOf(3);
    expect(workers.map((w) => w.data)).toEqual([null, null, null]);
    expect(workers.every((w) => !w.referenced)).toBe(true); // an idle spare never keeps the process alive
    queue.enqueue(job(1));
    queue.enqueue(job(2));
    // Both runs went to spares: no worker spawned at Start, one spare left for the free slot.
    expect(workers).toHaveLength(3);
    expect(workers.slice(0, 2).map((w) => w.posted.map((p) => p.data.runId))).toEqual([[1], [2]]);
    expect(workers.slice(0, 2).every((w) => w.referenced)).toBe(true);
    expect(queue.spareCount()).toBe(1);
    queue.enqueue(job(3));
    queue.enqueue(job(4)); // all three slots busy: run 4 waits, and no spare is spawned beside three runs
    expect(workers).toHaveLength(3);
    expect(queue.spareCount()).toBe(0);
    workers[0]!.finish(); // run 4 takes the freed slot with a cold worker (no spare to take)
    expect(workers.map((w) => w.data?.runId ?? null)).toEqual([null, null, null, 4]);
    workers[1]!.finish();
    workers[2]!.finish();
    workers[3]!.finish();
    // Idle again: the pool is back to three spares.
    expect(queue.spareCount()).toBe(3);
    expect(workers.slice(4).map((w) => w.data)).toEqual([null, null, null]);
    void queue.dispose();
  });

  it('a spare that dies leaves the pool and is replaced at the next change, not in a loop', () => {
    const { queue, workers } = poolOf(2);
    workers[0]!.emit('exit', 1);
    expect(queue.spareCount()).toBe(1);
    expect(workers).toHaveLength(2);
    queue.enqueue(job(1));
    expect(workers[1]!.posted.map((p) => p.data.runId)).toEqual([1]);
    // One slot is free again: one spare for it.
    expect(queue.spareCount()).toBe(1);
    void queue.dispose();
  });

  it('terminates every spare at dispose and spawns none afterwards', async () => {
    const { queue, workers } = poolOf(4);
    await queue.dispose();
    expect(workers).toHaveLength(4);
    expect(workers.every((w) => w.terminated)).toBe(true);
    expect(queue.spareCount()).toBe(0);
  });

  it('starts no queued run after dispose when a running one ends (the next lab to start resumes it)', async () => {
    const { queue, workers } = poolOf(1);
    queue.enqueue(job(1));
    queue.enqueue(job(2)); // waits for the only slot
    const running = workers.find((w) => w.posted.some((p) => p.data.runId === 1))!;
    await queue.dispose();
    const before = workers.length;
    running.finish();
    expect(workers).toHaveLength(before);
    expect(workers.some((w) => w.data?.runId === 2 || w.posted.some((p) => p.data.runId === 2))).toBe(false);
  });

  it('with real worker threads: dispose ends all of them', async () => {
    const threads: Worker[] = [];
    const queue = new RunQueue(
      () => {
        const w = new Worker('setInterval(() => undefined, 1000)', { eval: true });
        threads.push(w);
        return w;
      },
      '/lab.db',
      runs,
      Date.now,
      3,
      undefined,
      true,
    );
    // The threads run forever (an interval): only terminate() ends them.
    const exits = Promise.all(threads.map((w) => new Promise<string>((resolve) => w.once('exit', () => resolve('exited')))));
    expect(threads).toHaveLength(3);
    await queue.dispose();
    const late = new Promise<string[]>((resolve) => setTimeout(() => resolve(['still running']), 5000));
    expect(await Promise.race([exits, late])).toEqual(['exited', 'exited', 'exited']);
    expect(threads.map((w) => w.threadId)).toEqual([-1, -1, -1]);
  });
});
