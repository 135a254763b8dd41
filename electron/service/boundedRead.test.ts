import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBytesAtMost, readBytesAtMostSync, readTextAtMost, readTextAtMostSync } from './boundedRead';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-read-'));
  writeFileSync(join(dir, 'ok.yaml'), 'name: ok\n');
  writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(65));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['sync', (p: string, max: number) => Promise.resolve(readTextAtMostSync(p, max))],
  ['async', readTextAtMost],
])('reading a scenario file, bounded (%s)', (_name, read) => {
  it('reads a small regular file and refuses one past the limit', async () => {
    expect(await read(join(dir, 'ok.yaml'), 64)).toEqual({ kind: 'text', text: 'name: ok\n' });
    expect(await read(join(dir, 'big.yaml'), 64)).toEqual({ kind: 'too-big' });
  });

  it('refuses a FIFO with no writer at once instead of waiting forever', async () => {
    expect(await read(join(dir, 'fifo'), 64)).toEqual({ kind: 'not-a-file', what: 'a FIFO' });
  });

  it('refuses a device that never ends and a directory', async () => {
    expect(await read('/dev/zero', 64)).toEqual({ kind: 'not-a-file', what: 'a device' });
    expect(await read(dir, 64)).toEqual({ kind: 'not-a-file', what: 'a directory' });
  });
});

describe.each([
  ['sync', (p: string, max: number) => Promise.resolve(readBytesAtMostSync(p, max))],
  ['async', readBytesAtMost],
])('reading a binary file, bounded (%s)', (_name, read) => {
  it('reads a small regular file as bytes and refuses one past the limit, a FIFO and a device', async () => {
    expect(await read(join(dir, 'ok.yaml'), 64)).toEqual({ kind: 'bytes', bytes: Buffer.from('name: ok\n') });
    expect(await read(join(dir, 'big.yaml'), 64)).toEqual({ kind: 'too-big' });
    expect(await read(join(dir, 'fifo'), 64)).toEqual({ kind: 'not-a-file', what: 'a FIFO' });
    expect(await read('/dev/zero', 64)).toEqual({ kind: 'not-a-file', what: 'a device' });
  });
});
