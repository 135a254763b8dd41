import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fusesSummary, fusesWriteCommand, LAB_FUSES } from './fuses';

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

  it('is the command and the table README.md gives for packaging, and an npm script', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(fusesWriteCommand('<packaged app>'));
    expect(readme).toContain(`# writes ${fusesSummary()}`);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['package:fuses']).toBe('tsx electron/launcher/packageFuses.ts');
  });
});
