import { describe, expect, it } from 'vitest';
import { parseScenarioFile, scenarioFileName, serializeScenario } from './scenarioFile';

const scenario = { name: 'my run', vms: [{ vcpus: 4, devices: [{ name: 'nvme0' }] }], workload: { kind: 'fio', iodepth: 32 } };

describe('scenario files in and out of the configurator', () => {
  it('round-trips JSON and YAML', () => {
    for (const format of ['json', 'yaml'] as const) {
      const text = serializeScenario(scenario, format);
      expect(parseScenarioFile(text, `x.${format}`)).toEqual({ ok: true, scenario });
    }
    expect(serializeScenario(scenario, 'yaml')).toContain('name: my run\n');
  });
  it('reads YAML as the CLI does (hex strings stay strings)', () => {
    expect(parseScenarioFile('name: a\nhost: { vfio: { memlockBytes: "0x100000" } }\n', 'a.yaml')).toEqual({
      ok: true,
      scenario: { name: 'a', host: { vfio: { memlockBytes: '0x100000' } } },
    });
  });
  it('names the file and the first parse error; refuses a file that is not one object', () => {
    const bad = parseScenarioFile('name: [x', 'broken.yaml');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problem).toMatch(/^broken.yaml: not valid JSON or YAML: /);
    expect(parseScenarioFile('[1, 2]', 'list.json')).toEqual({
      ok: false,
      problem: 'list.json: a scenario file holds one object (name, host, vms, workload...), not a list',
    });
    expect(parseScenarioFile('', 'empty.yaml').ok).toBe(false);
  });
  it('derives a file name from the scenario name', () => {
    expect(scenarioFileName(scenario, 'yaml')).toBe('my-run.yaml');
    expect(scenarioFileName({ name: '../x/y' }, 'json')).toBe('x-y.json');
    expect(scenarioFileName({}, 'json')).toBe('scenario.json');
  });
});
