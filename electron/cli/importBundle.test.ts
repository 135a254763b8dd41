// pcilab export --format bundle and pcilab import: a run moves from one lab to another as a bundle
// file (or through stdout), a second import of it is a duplicate, and refused files (not a bundle,
// truncated, missing) are reported one line each with exit 2 while the others are imported.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, main, type CliIo } from './main';

let dir: string;
let out: string[];
let err: string[];
let stdout: Buffer[];

function io(db: string): CliIo {
  return {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    writeStdout: (t) => stdout.push(Buffer.from(t)),
    env: { PCILAB_DB: join(dir, db) },
    isTty: false,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-bundle-cli-'));
  out = [];
  err = [];
  stdout = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runIn(db: string): number {
  expect(main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=2', '--json'], io(db))).toBe(EXIT_OK);
  const id = (JSON.parse(out.join('')) as { run: { id: number } }).run.id;
  out = [];
  return id;
}

describe('pcilab export --format bundle / pcilab import', () => {
  it('moves a run to another lab: a new id there, the same results, a duplicate the second time', () => {
    runIn('b.db'); // run 1 in the target lab: the import gets another id
    const id = runIn('a.db');
    const file = join(dir, 'run.pcilab-run.jsonl.gz');
    expect(main(['export', String(id), '--format', 'bundle', '--out', file], io('a.db'))).toBe(EXIT_OK);
    expect(err.join('')).toContain(`wrote run ${id} as bundle`);
    expect(JSON.parse(gunzipSync(readFileSync(file)).toString().split('\n')[0]!)).toMatchObject({
      format: 'pcilab-run-bundle',
      formatVersion: 1,
    });

    expect(main(['import', file], io('b.db'))).toBe(EXIT_OK);
    expect(out).toEqual([expect.stringMatching(new RegExp(`^imported ${file} as run 2 \\(content [0-9a-f]{12}\\)$`))]);
    out = [];
    expect(main(['runs', '--json'], io('a.db'))).toBe(EXIT_OK);
    const original = (JSON.parse(out.join('')) as { timelineHash: string }[])[0]!;
    out = [];
    expect(main(['runs', '--json'], io('b.db'))).toBe(EXIT_OK);
    const copy = (JSON.parse(out.join('')) as { id: number; timelineHash: string }[]).find((r) => r.id === 2)!;
    expect(copy.timelineHash).toBe(original.timelineHash);
    out = [];
    expect(main(['compare', '1', '2', '--json'], io('b.db'))).toBe(EXIT_OK);
    out = [];

    expect(main(['import', file, '--json'], io('b.db'))).toBe(EXIT_OK);
    expect(JSON.parse(out[0]!)).toMatchObject({ file, status: 'duplicate', runId: 2 });
  });

  it('writes a bundle to stdout with --out -, and to a file named after the run without --out', () => {
    const id = runIn('a.db');
    expect(main(['export', String(id), '--format', 'bundle', '--out', '-'], io('a.db'))).toBe(EXIT_OK);
    expect(gunzipSync(Buffer.concat(stdout)).toString()).toMatch(/^\{"format":"pcilab-run-bundle"/);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(main(['export', String(id), '--format', 'bundle'], io('a.db'))).toBe(EXIT_OK);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(dir, `run-${id}-quickstart-nvme-fio.pcilab-run.jsonl.gz`))).toBe(true);
  });

  it('refuses files that are not bundles, truncated ones and missing ones, one line each, exit 2, importing the rest', () => {
    const id = runIn('a.db');
    const good = join(dir, 'good.gz');
    expect(main(['export', String(id), '--format', 'bundle', '--out', good], io('a.db'))).toBe(EXIT_OK);
    const bytes = readFileSync(good);
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 40));
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello\n');
    err = [];
    expect(main(['import', cut, text, join(dir, 'missing.gz'), good], io('b.db'))).toBe(EXIT_INVALID);
    expect(err).toEqual([
      expect.stringMatching(new RegExp(`^pcilab: ${cut}: damaged or truncated`)),
      `pcilab: ${text}: not a run bundle (not gzip data; bundles are written by pcilab export --format bundle)`,
      `pcilab: ${join(dir, 'missing.gz')}: cannot be read (no such file)`,
    ]);
    expect(out).toEqual([expect.stringMatching(/^imported .*good\.gz as run 1 /)]);
  });

  it('needs at least one file; a run still running cannot be exported', () => {
    expect(main(['import'], io('b.db'))).toBe(EXIT_INVALID);
    expect(err.join('')).toContain('takes at least one bundle file');
    expect(main(['export', '7', '--format', 'bundle'], io('a.db'))).toBe(EXIT_INTERNAL);
  });
});
