import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fusesWriteCommand, LAB_FUSES } from './fuses';

describe('the fuses of a packaged lab', () => {
  it('turns off running as Node, NODE_OPTIONS, --inspect and file:// privileges, and turns on asar integrity', () => {
    const fuse = Object.fromEntries(LAB_FUSES.map((f) => [f.name, f.on]));
    expect(fuse).toMatchObject({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      GrantFileProtocolExtraPrivileges: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      EnableCookieEncryption: true,
    });
    for (const f of LAB_FUSES) expect(f.reason.length, f.name).toBeGreaterThan(10);
  });

  it('is the command README.md gives for packaging', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(fusesWriteCommand('<packaged app>'));
  });
});
