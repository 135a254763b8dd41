import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { applyLabFuses, labFuseConfig, readFuses } from './applyFuses';
import { LAB_FUSES } from './fuses';

// @electron/fuses finds the fuse wire after this sentinel: a version byte (1), a length byte, then
// one byte per fuse: '0' off, '1' on, 'r' removed (node_modules/@electron/fuses/dist/constants.js).
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const dir = mkdtempSync(join(tmpdir(), 'pcilab-fuses-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for an Electron binary: noise, the fuse wire of an unfused Electron (all on but the ones Electron ships off), noise. */
function syntheticElectron(path: string, wire: string): Buffer {
  const bytes = Buffer.concat([
    randomBytes(70_000),
    Buffer.from(SENTINEL),
    Buffer.from([1, wire.length]),
    Buffer.from(wire),
    randomBytes(5000),
  ]);
  writeFileSync(path, bytes);
  return bytes;
}

const STOCK_WIRE = '111100010'; // RunAsNode, cookies, NODE_OPTIONS, --inspect on; asar checks off; file:// privileges on

describe('writing the lab fuses into an Electron binary', () => {
  it('flips exactly LAB_FUSES, read back by @electron/fuses, and leaves every other byte alone', async () => {
    const path = join(dir, 'electron');
    const before = syntheticElectron(path, STOCK_WIRE);
    const lines = await applyLabFuses(path);
    const after = await readFuses(path);
    for (const fuse of LAB_FUSES) expect(after[fuse.name], fuse.name).toBe(fuse.on ? 'on' : 'off');
    // The two fuses LAB_FUSES does not name keep the binary's values.
    expect(after).toEqual({
      ...Object.fromEntries(LAB_FUSES.map((f) => [f.name, f.on ? 'on' : 'off'])),
      LoadBrowserProcessSpecificV8Snapshot: 'off',
      WasmTrapHandlers: 'off',
    });
    expect(lines).toHaveLength(LAB_FUSES.length);
    expect(lines[0]).toMatch(/^RunAsNode=off: /);
    const written = readFileSync(path);
    const wireAt = before.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(written.length).toBe(before.length);
    expect(written.subarray(0, wireAt).equals(before.subarray(0, wireAt))).toBe(true);
    expect(written.subarray(wireAt + STOCK_WIRE.length).equals(before.subarray(wireAt + STOCK_WIRE.length))).toBe(true);
    expect(written.subarray(wireAt, wireAt + STOCK_WIRE.length).toString('latin1')).toBe('010011000');
  });

  it('finds the framework inside a macOS .app bundle', async () => {
    const app = join(dir, 'PCI Passthrough Lab.app');
    const framework = join(app, 'Contents', 'Frameworks', 'Electron Framework.framework');
    mkdirSync(framework, { recursive: true });
    syntheticElectron(join(framework, 'Electron Framework'), STOCK_WIRE);
    await applyLabFuses(app);
    expect((await readFuses(app))['RunAsNode']).toBe('off');
  });

  it('refuses a file with no fuse wire, and a wire too short for the lab fuses', async () => {
    const plain = join(dir, 'not-electron');
    writeFileSync(plain, randomBytes(10_000));
    await expect(applyLabFuses(plain)).rejects.toThrow(/Could not find sentinel/);
    const short = join(dir, 'old-electron');
    syntheticElectron(short, '1111');
    await expect(applyLabFuses(short)).rejects.toThrow(/not long enough/);
  });

  it('names every LAB_FUSES entry by its @electron/fuses index', () => {
    expect(labFuseConfig()).toEqual({ version: '1', 0: false, 1: true, 2: false, 3: false, 4: true, 5: true, 7: false });
  });
});
