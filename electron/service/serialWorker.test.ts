import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SerialWorker } from './serialWorker';

interface Job {
  readonly id: number;
  readonly n: number;
}
interface Reply {
  readonly id: number;
  readonly partial?: number;
  readonly total?: number;
  readonly error?: string;
}

/** A worker the test answers for: it records the jobs it was sent. */
class FakeWorker extends EventEmitter {
  readonly sent: Job[] = [];
  terminated = false;
  refs = 0;
  postMessage(job: Job): void {
    this.sent.push(job);
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.refs = 0;
  }
  reply(r: Reply): void {
    this.emit('message', r);
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function make(timeoutMs?: number): { serial: SerialWorker<Job, Reply, number>; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  let sum = 0;
  const serial = new SerialWorker<Job, Reply, number>({
    spawn: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w as unknown as Worker;
    },
    name: 'the test worker',
    settle: (reply) => {
      if (reply.error !== undefined) return { error: new Error(reply.error) };
      if (reply.partial !== undefined) {
        sum += reply.partial;
        return undefined;
      }
      const value = sum + (reply.total ?? 0);
      sum = 0;
      return { value };
    },
    ...(timeoutMs === undefined ? {} : { timeout: { ms: timeoutMs, answer: (job: Job) => -job.n } }),
    holdProcessWhileBusy: true,
  });
  return { serial, workers };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a serial worker', () => {
  it('runs one job at a time in order, settling each by its replies, and ignores replies to other ids', async () => {
    const { serial, workers } = make();
    const a = serial.run((id) => ({ id, n: 1 }));
    const b = serial.run((id) => ({ id, n: 2 }));
    const w = workers[0]!;
    expect(w.sent).toEqual([{ id: 1, n: 1 }]);
    expect(w.refs).toBe(1);
    w.reply({ id: 2, total: 99 });
    w.reply({ id: 1, partial: 3 });
    w.reply({ id: 1, total: 4 });
    expect(w.refs).toBe(0); // let go between jobs: an idle worker never keeps the process up
    await expect(a).resolves.toBe(7);
    await flush();
    expect(w.refs).toBe(1);
    expect(w.sent).toEqual([
      { id: 1, n: 1 },
      { id: 2, n: 2 },
    ]);
    w.reply({ id: 2, error: 'refused' });
    await expect(b).rejects.toThrow('refused');
    expect(workers).toHaveLength(1);
  });

  it('fails the job of a worker that exits, and spawns a new one for the next job', async () => {
    const { serial, workers } = make();
    const a = serial.run((id) => ({ id, n: 1 }));
    const b = serial.run((id) => ({ id, n: 2 }));
    workers[0]!.emit('exit', 7);
    await expect(a).rejects.toThrow('the test worker stopped: exit code 7');
    await flush();
    expect(workers).toHaveLength(2);
    expect(workers[1]!.sent).toEqual([{ id: 2, n: 2 }]);
    workers[1]!.reply({ id: 2, total: 5 });
    await expect(b).resolves.toBe(5);
  });

  it('answers a job past its time limit with the timeout answer, stops that worker and ignores its late reply', async () => {
    vi.useFakeTimers();
    const { serial, workers } = make(1000);
    const a = serial.run((id) => ({ id, n: 4 }));
    const b = serial.run((id) => ({ id, n: 5 }));
    vi.advanceTimersByTime(1001);
    await expect(a).resolves.toBe(-4);
    expect(workers[0]!.terminated).toBe(true);
    workers[0]!.reply({ id: 1, total: 1 });
    workers[0]!.emit('exit', 1);
    await vi.runAllTicks();
    await Promise.resolve();
    expect(workers).toHaveLength(2);
    expect(workers[1]!.sent).toEqual([{ id: 2, n: 5 }]);
    workers[1]!.reply({ id: 2, total: 6 });
    await expect(b).resolves.toBe(6);
  });

  it('fails the current and queued jobs on dispose, and refuses later ones', async () => {
    const { serial, workers } = make(1000);
    const a = serial.run((id) => ({ id, n: 1 }));
    const b = serial.run((id) => ({ id, n: 2 }));
    serial.dispose();
    await expect(a).rejects.toThrow('the lab is closing');
    await expect(b).rejects.toThrow('the lab is closing');
    await expect(serial.run((id) => ({ id, n: 3 }))).rejects.toThrow('the lab is closing');
    expect(workers[0]!.terminated).toBe(true);
  });

  it('spawns on warm, before the first job', () => {
    const { serial, workers } = make();
    serial.warm();
    expect(workers).toHaveLength(1);
    serial.dispose();
    serial.warm();
    expect(workers).toHaveLength(1);
  });
});
