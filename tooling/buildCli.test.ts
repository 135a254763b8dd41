// `pcilab` built ahead of time (tooling/buildCli.mjs): the build writes out/cli, bin/pcilab.mjs runs
// the built JavaScript (no note about running the source), and --version answers from package.json.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const bin = new URL('../bin/pcilab.mjs', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

describe('the built CLI', () => {
  it('is built by npm install (prepare), npm run build and build:cli', () => {
    expect(pkg.scripts['prepare']).toBe('node tooling/buildCli.mjs --if-possible');
    expect(pkg.scripts['build:cli']).toBe('node tooling/buildCli.mjs');
    expect(pkg.scripts['build']).toContain('node tooling/buildCli.mjs');
  });

  it('exists after the build and answers --version; bin/pcilab.mjs runs it, not the TypeScript source', () => {
    const build = spawnSync(process.execPath, ['tooling/buildCli.mjs'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    expect(build.stderr).toMatch(/^pcilab: built out\/cli from \d+ source files in \d+ ms\n$/);
    for (const file of ['main.mjs', 'runQueryChild.mjs', 'runWorker.mjs', 'runPreparerWorker.mjs', 'inputs.json'])
      expect(existsSync(`${root}out/cli/${file}`), file).toBe(true);
    const inputs = (JSON.parse(readFileSync(`${root}out/cli/inputs.json`, 'utf8')) as { inputs: string[] }).inputs;
    expect(inputs).toContain('electron/cli/main.ts');
    expect(inputs.every((p) => !p.includes('node_modules'))).toBe(true);

    const started = Date.now();
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(Date.now() - started).toBeLessThan(3000); // 0.1 s on an idle machine (docs/benchmarks.md)
    expect(version.stdout).toBe(`pcilab ${pkg.version}\n`);
    expect(version.status).toBe(0);

    const built = new URL('../out/cli/main.mjs', import.meta.url).href;
    const direct = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(built)}); process.exitCode = await main(['--version'], { out: console.log, err: console.error, env: {}, isTty: false });`,
      ],
      { encoding: 'utf8' },
    );
    expect(direct.stdout).toBe(`pcilab ${pkg.version}\n`);

    const help = spawnSync(process.execPath, [bin, 'run', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: pcilab run /);
    expect(help.stderr).toBe('');
  });

  it('falls back to the TypeScript source, saying why in one line, when it cannot build (here: no tooling/)', () => {
    const copy = mkdtempSync(join(tmpdir(), 'pcilab-nobuild-'));
    try {
      mkdirSync(join(copy, 'bin'));
      copyFileSync(bin, join(copy, 'bin', 'pcilab.mjs'));
      for (const entry of ['package.json', 'node_modules', 'core', 'db', 'electron']) symlinkSync(join(root, entry), join(copy, entry));
      const r = spawnSync(process.execPath, [join(copy, 'bin', 'pcilab.mjs'), 'presets', '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /^pcilab: running the TypeScript source \(slower to start\): the built CLI is not built yet, and building it failed \(.*\); `npm run build:cli` builds it\n$/,
      );
      expect((JSON.parse(r.stdout) as { id: string }[]).map((p) => p.id)).toContain('s390-rpcit-exhaustion');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
