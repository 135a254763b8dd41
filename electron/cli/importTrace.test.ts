// pcilab import-trace on traces the kernel oracle captured (tooling/oracle/fixtures): the run is
// stored with the real events on its timeline and the trace's DMA calls replayed on an s390 KVM
// host with QEMU 7.1's shadowing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { TimelineStore } from '../../db/timeline/timelineStore';
import { commandImportTrace } from './importTrace';

const FIXTURES = join(__dirname, '../../tooling/oracle/fixtures');
const dir = mkdtempSync(join(tmpdir(), 'pcilab-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function importTrace(args: string[], dbName: string) {
  const out: string[] = [];
  const err: string[] = [];
  const db = join(dir, dbName);
  const code = commandImportTrace([...args, '--db', db, '--json'], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    dbPath: (d) => d ?? db,
  });
  return { code, out, err, db };
}

describe('pcilab import-trace', () => {
  it('stores a captured 6.12 trace with its real events and replays its maps on the s390 host', () => {
    const id = 'x86_64-6.12-intel-cmoff-lazy-nvme';
    const r = importTrace([join(FIXTURES, `${id}.trace.txt.gz`), '--qemu-log', join(FIXTURES, `${id}.qemu.log.gz`)], 'a.db');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out[0]!) as { run: { id: number }; metrics: Record<string, number>; trace: { maps: number; source: string } };
    expect(json.trace.source).toBe('kprobes');
    expect(json.metrics['trace.maps']).toBe(json.trace.maps);
    expect(json.metrics['trace.mapFailures']).toBe(0);
    expect(json.metrics['rpcit.calls']).toBeGreaterThan(0);
    const db = openLabDatabase(r.db);
    try {
      const run = new RunStore(db).get(json.run.id)!;
      expect(run.status).toBe('completed');
      const summary = new TimelineStore(db).summary(json.run.id)!;
      const lanes = summary.lanes.map((l) => l.name);
      expect(lanes).toEqual(expect.arrayContaining(['trace.cpu1', 'trace.qemu', 'vm0.cpu1']));
    } finally {
      db.close();
    }
  });

  it('with a small dma_entry_limit the real pattern runs QEMU 7.1 out of DMA entries (RPCIT insufficient resources)', () => {
    const id = 'x86_64-6.1-intel-cmoff-lazy-nvme';
    const r = importTrace([join(FIXTURES, `${id}.trace.txt.gz`), '--set', 'host.vfio.dmaEntryLimit=128'], 'b.db');
    expect(r.code).toBe(0);
    const m = (JSON.parse(r.out[0]!) as { metrics: Record<string, number> }).metrics;
    expect(m['rpcit.outOfResource']).toBeGreaterThan(0);
  });

  it('reads a QEMU log alone and refuses a file with no events', () => {
    const id = 'x86_64-6.12-virtio-iommu-strict-nvme';
    expect(importTrace([join(FIXTURES, `${id}.qemu.log.gz`)], 'c.db').code).toBe(0);
    const bad = importTrace([join(FIXTURES, `${id}.json`)], 'd.db');
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/no iommu:map/);
  });
});
