import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_OK, main, type CliIo } from './main';
import type { LimitsAnswer } from '../../core/contract/limitsAnswer';

const GiB = 2 ** 30;
let dir: string;
let out: string[];
let io: CliIo;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-limits-'));
  out = [];
  io = { out: (t) => out.push(t), err: () => {}, writeStdout: () => {}, env: { PCILAB_DB: join(dir, 'lab.db') }, isTty: false };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pcilab run: the memlock & VFIO entries answer', () => {
  it('--json carries it per variant: 64 KiB RLIMIT_MEMLOCK was hit, 4 GiB (the guest RAM, at start) would have sufficed', () => {
    expect(main(['run', 'field-memlock-too-small', '--json'], io)).toBe(EXIT_OK);
    const json = JSON.parse(out.join('')) as { memlock: LimitsAnswer[] };
    const tooSmall = json.memlock.find((a) => a.variant === 'tooSmall')!;
    expect(tooSmall.limitHit).toBe(true);
    expect(tooSmall.rows[0]).toEqual({
      account: 'QEMU process',
      resource: 'locked memory (locked_vm against RLIMIT_MEMLOCK)',
      unit: 'bytes',
      start: 4 * GiB,
      peak: 4 * GiB,
      limit: 65536,
      limitNote: null,
      headroom: 65536 - 4 * GiB,
      wouldSuffice: 4 * GiB,
    });
    expect(tooSmall.rows.find((r) => r.unit === 'entries')).toMatchObject({ account: 'type1/vm0', start: 2, peak: 2, limit: 65535 });
    expect(json.memlock.find((a) => a.variant === 'guestRam')).toMatchObject({ limitHit: false });
  });

  it('the human summary has one line per account, with units and the limit that would have sufficed', () => {
    expect(main(['run', 'field-memlock-too-small'], io)).toBe(EXIT_OK);
    const text = out.join('\n');
    expect(text).toContain('memlock & VFIO entries');
    expect(text).toMatch(
      /QEMU process: locked_vm start 4 GiB, peak 4 GiB \(limit 64 KiB, short by 4294901760 bytes \(~4\.00 GiB\) - 4 GiB would have sufficed\)/,
    );
    expect(text).toMatch(
      /type1\/vm0: locked start 4 GiB, peak 4 GiB \(shares the process limit\); vfio_dma entries \(dma_entry_limit\) start 2 entries/,
    );
  });
});
