import { describe, expect, it } from 'vitest';
import { baseRequest, describeBase } from './baseChoice';

const sources = { draft: { name: 'mine', durationMs: 5 }, runScenario: (id: number) => Promise.resolve({ name: `run-${id}` }) };

describe('an experiment base', () => {
  it('is a preset by name, a copy of the draft, or the scenario a run used', async () => {
    expect(await baseRequest({ kind: 'preset', preset: 'quickstart-nvme-fio' }, sources)).toEqual({
      ok: true,
      base: { preset: 'quickstart-nvme-fio' },
    });
    const fromDraft = await baseRequest({ kind: 'draft' }, sources);
    expect(fromDraft).toEqual({ ok: true, base: { scenario: { name: 'mine', durationMs: 5 } } });
    expect(fromDraft.ok && fromDraft.base.scenario).not.toBe(sources.draft);
    expect(await baseRequest({ kind: 'run', runId: 7 }, sources)).toEqual({ ok: true, base: { scenario: { name: 'run-7' } } });
  });

  it('is refused when nothing is chosen or there is no draft', async () => {
    expect(await baseRequest({ kind: 'preset', preset: '' }, sources)).toMatchObject({ ok: false });
    expect(await baseRequest({ kind: 'draft' }, { ...sources, draft: null })).toMatchObject({ ok: false });
    expect(await baseRequest({ kind: 'run', runId: 0 }, sources)).toMatchObject({ ok: false });
  });

  it('is described by its preset or scenario name, overrides and seed', () => {
    expect(describeBase({ preset: 'p', overrides: ['a=1'], seed: 3 })).toBe('preset p, with a=1, seed 3');
    expect(describeBase({ scenario: { name: 'x' } })).toBe('scenario "x"');
    expect(describeBase({ scenarioText: 'name: x' })).toBe('a scenario file');
  });
});
