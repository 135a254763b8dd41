import { describe, expect, it } from 'vitest';
import { SCENARIO_FILE_MAX_BYTES } from '../../core/contract/desktopShell';
import { readScenarioFile, saveScenarioFile, type ScenarioFileSystem } from './scenarioFiles';

function memoryFs(files: Record<string, string>, sizes: Record<string, number> = {}) {
  const written: Record<string, string> = {};
  const fs: ScenarioFileSystem = {
    readAtMost: (p, max) => {
      if (p.startsWith('/dev/')) return Promise.resolve({ kind: 'not-a-file' as const, what: 'a device' });
      if (!(p in files)) return Promise.reject(new Error('ENOENT: no such file'));
      return Promise.resolve(
        (sizes[p] ?? files[p]!.length) > max ? { kind: 'too-big' as const } : { kind: 'text' as const, text: files[p]! },
      );
    },
    writeText: (p, t) => {
      if (p.startsWith('/readonly/')) return Promise.reject(new Error('EACCES'));
      written[p] = t;
      return Promise.resolve();
    },
  };
  return { fs, written };
}

describe('importing a scenario file', () => {
  it('sends the file text and its base name to the renderer, which parses it', async () => {
    const { fs } = memoryFs({ '/home/u/scen/nvme.yaml': 'name: nvme\n' });
    expect(await readScenarioFile('/home/u/scen/nvme.yaml', fs)).toEqual({
      ok: true,
      command: { kind: 'import-scenario', fileName: 'nvme.yaml', text: 'name: nvme\n' },
    });
  });

  it('refuses files over the size limit without reading them, and says why a file cannot be read', async () => {
    const { fs } = memoryFs({ '/big.json': '{}' }, { '/big.json': SCENARIO_FILE_MAX_BYTES + 1 });
    const big = await readScenarioFile('/big.json', fs);
    expect(big).toMatchObject({ ok: false, message: expect.stringContaining('at most') });
    expect(await readScenarioFile('/dev/zero', fs)).toMatchObject({ ok: false, message: 'zero is not a regular file' });
    expect(await readScenarioFile('/gone.yaml', fs)).toMatchObject({
      ok: false,
      message: expect.stringContaining('gone.yaml could not be read'),
    });
  });
});

describe('exporting a scenario file', () => {
  const request = { fileName: 'my-run.yaml', format: 'yaml', text: 'name: my-run\n' };

  it('writes the text where the save dialog says, offering the suggested name', async () => {
    const { fs, written } = memoryFs({});
    let offered = '';
    const result = await saveScenarioFile(request, (name) => ((offered = name), Promise.resolve('/tmp/out.yaml')), fs);
    expect(offered).toBe('my-run.yaml');
    expect(result).toEqual({ kind: 'saved', path: '/tmp/out.yaml', bytes: 13 });
    expect(written).toEqual({ '/tmp/out.yaml': 'name: my-run\n' });
  });

  it('writes nothing when the user cancels or the request is malformed', async () => {
    const { fs, written } = memoryFs({});
    expect(await saveScenarioFile(request, () => Promise.resolve(null), fs)).toEqual({ kind: 'cancelled' });
    const never = () => Promise.reject(new Error('the dialog must not open'));
    expect(await saveScenarioFile({ ...request, format: 'exe' }, never, fs)).toMatchObject({ kind: 'failed' });
    expect(await saveScenarioFile({ ...request, extra: 1 }, never, fs)).toMatchObject({ kind: 'failed' });
    expect(await saveScenarioFile({ ...request, text: 'x'.repeat(SCENARIO_FILE_MAX_BYTES + 1) }, never, fs)).toMatchObject({
      kind: 'failed',
    });
    expect(written).toEqual({});
  });

  it('offers only the base name of a suggested path, and reports a write that fails', async () => {
    const { fs } = memoryFs({});
    let offered = '';
    const result = await saveScenarioFile(
      { ...request, fileName: '../../etc/passwd' },
      (name) => ((offered = name), Promise.resolve('/readonly/x.yaml')),
      fs,
    );
    expect(offered).toBe('passwd');
    expect(result).toMatchObject({ kind: 'failed', message: expect.stringContaining('x.yaml could not be written') });
  });
});
