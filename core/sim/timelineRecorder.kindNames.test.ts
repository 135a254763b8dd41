// Every event kind the simulator declares with a literal name follows the lab's naming scheme
// (EVENT_KIND_NAME: layer.verb[.outcome], no spaces): one name per thing, so "dma.map.failed" is
// never also "dma map failed". Scans the sources, so kinds of code paths no preset reaches are
// checked too (the golden test checks every kind the presets record).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KIND_NAME } from './timelineRecorder';

const CORE = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !/\.test(kit)?\.ts$/.test(name) ? [path] : [];
  });
}

/** Literal kind names: `defineKind({ name: '...'` (possibly on the next line) and the fault tables' `event: '...'`. */
function literalKinds(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/defineKind\(\{\s*name:\s*'([^']*)'/g)) names.push(m[1]!);
  for (const m of text.matchAll(/\bevent:\s*'([^']*)'/g)) names.push(m[1]!);
  for (const m of text.matchAll(/lifecycleKind\([^,]+,\s*'([^']*)'/g)) names.push(m[1]!);
  return names;
}

describe('event kind names', () => {
  const found = sources(CORE).flatMap((f) => literalKinds(readFileSync(f, 'utf8')).map((name) => ({ file: f.slice(CORE.length), name })));

  it('finds the kinds the simulator declares', () => {
    expect(found.length).toBeGreaterThan(40);
    expect(found.map((k) => k.name)).toEqual(expect.arrayContaining(['dma.map', 'dma.map.failed', 'vfio.map.failed']));
  });

  it('are all layer.verb[.outcome] with no spaces', () => {
    expect(found.filter((k) => !EVENT_KIND_NAME.test(k.name))).toEqual([]);
  });

  it('the scheme accepts ops names and refuses the old spellings', () => {
    for (const ok of ['dma.map', 'dma.map.failed', 'hcall.H_PUT_TCE.failed', 'rtas.ibm,create-pe-dma-window', 'virtio-iommu.map.failed'])
      expect(ok).toMatch(EVENT_KIND_NAME);
    for (const bad of ['dma map failed', 'dma.map failed', 'io', 'DMA window change', 'rpcit insufficient resources', 'dma.map (replayed)'])
      expect(bad).not.toMatch(EVENT_KIND_NAME);
  });
});
