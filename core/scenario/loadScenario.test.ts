import { describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario, parseScenarioText } from './loadScenario';

describe('loading a scenario', () => {
  it('fills every default from a name and a workload (everything but name has a default)', () => {
    const r = loadScenario({ value: { name: 'x' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.scenario.host).toMatchObject({
      arch: 'x86_64',
      hypervisor: 'kvm',
      vfio: { backend: 'type1v2', dmaEntryLimit: 65535, memlockBytes: null },
    });
    expect(r.scenario.vms).toHaveLength(1);
    expect(r.scenario.vms[0]!.devices[0]!.name).toBe('nvme0');
  });

  it('lists every problem as path: message', () => {
    const r = loadScenario({ value: { name: 'x', seed: -1, vms: [{ vcpus: 0, devices: [{ name: 'd', kind: 'tpu' }] }], extra: true } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^seed: /),
        expect.stringMatching(/^vms\.0\.vcpus: /),
        expect.stringMatching(/^vms\.0\.devices\.0\.kind: /),
        expect.stringMatching(/^\(root\): Unrecognized key: "extra"/),
      ]),
    );
  });

  it('answers 100,000-deep JSON, YAML and override values with a path: message line, not a stack overflow', () => {
    const deepJson = '{"name":"x","a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    expect(loadScenario({ text: deepJson })).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^a(\.0)+: nested deeper than 64 levels$/)],
    });
    const deepYaml = 'name: x\na: ' + '['.repeat(100_000) + ']'.repeat(100_000);
    expect(loadScenario({ text: deepYaml })).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^\(scenario\): not valid JSON or YAML: nested deeper than 64 levels at line 2/)],
    });
    const deepSet = `workload.args=${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(loadScenario({ value: { name: 'x' } }, [deepSet])).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^workload\.args(\.0)+: nested deeper than 64 levels$/)],
    });
  });

  it('names the kinds that are built when a workload kind is not', () => {
    const r = loadScenario({ value: { name: 'x', workload: { kind: 'warp-drive' } } });
    expect(r.ok ? [] : r.problems).toEqual([expect.stringMatching(/^workload\.kind: workload\.kind must be one of: fio/)]);
  });

  it('checks references between fields', () => {
    const r = loadScenario({
      value: { name: 'x', vms: [{ devices: [{ name: 'a' }, { name: 'a' }] }], workload: { kind: 'fio', device: 'b' } },
    });
    expect(r.ok ? [] : r.problems).toEqual(['vms.0.devices.1.name: duplicate device name "a"', 'workload.device: no device named "b"']);
  });

  it('accepts hex strings for sizes and rejects malformed ones', () => {
    const good = loadScenario({ value: { name: 'x', host: { vfio: { memlockBytes: '0x40000000' } } } });
    expect(good.ok && good.scenario.host.vfio.memlockBytes).toBe(2 ** 30);
    const bad = loadScenario({ value: { name: 'x', host: { vfio: { memlockBytes: '1GiB' } } } });
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringMatching(/^host\.vfio\.memlockBytes: expected a hex string/)]);
  });

  it('refuses hex values that a number cannot hold exactly, but accepts the all-ones length', () => {
    const bad = loadScenario({ value: { name: 'x', host: { vfio: { memlockBytes: '0x20000000000001' } } } });
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringMatching(/^host\.vfio\.memlockBytes: not exactly representable/)]);
    expect(loadScenario({ value: { name: 'x', host: { vfio: { memlockBytes: '0xffffffffffffffff' } } } }).ok).toBe(true);
    expect(loadScenario({ value: { name: 'x', host: { iommu: { pageSizes: [4096, 3000] } } } }).ok).toBe(false);
  });

  it('reads YAML as well as JSON', () => {
    const r = loadScenario({ text: 'name: yaml-run\nseed: 3\nworkload:\n  kind: fio\n  iodepth: 8\n' });
    expect(r.ok && r.scenario.workload.kind === 'fio' && [r.scenario.name, r.scenario.seed, r.scenario.workload.iodepth]).toEqual([
      'yaml-run',
      3,
      8,
    ]);
    expect(parseScenarioText('{"name": ').ok).toBe(false);
  });

  it('applies --set overrides, creating objects and indexing lists', () => {
    const r = loadScenario(
      { value: { name: 'x' } },
      ['host.vfio.dmaEntryLimit=1024', 'vms.0.vcpus=2', 'name="renamed"', 'workload.kind=fio'],
      9,
    );
    expect(r.ok && [r.scenario.host.vfio.dmaEntryLimit, r.scenario.vms[0]!.vcpus, r.scenario.name, r.scenario.seed]).toEqual([
      1024,
      2,
      'renamed',
      9,
    ]);
  });

  it('takes "\\." as a literal dot in an override path (kernel parameter names)', () => {
    const r = loadScenario({ value: { name: 'x' } }, ['vms.0.guest.kernelParams.iommu\\.strict=1']);
    expect(r.ok && r.scenario.vms[0]!.guest.kernelParams['iommu.strict']).toBe(1);
  });

  it('reports bad overrides by their path', () => {
    const r = applyOverrides({ name: 'x', vms: [] }, ['vms.3.vcpus=2', 'novalue', 'name.inner=1', '__proto__.x=1']);
    expect(r.ok ? [] : r.problems).toEqual([
      '--set vms.3.vcpus: index 3 is past the end of "vms" (length 0)',
      '--set novalue: expected path=value, e.g. host.vfio.dmaEntryLimit=1024',
      '--set name.inner: "name" is not an object or list',
      '--set __proto__.x: empty or forbidden path segment',
    ]);
  });

  it('is idempotent: a validated scenario (defaults filled in) validates again to itself', () => {
    for (const value of [{ name: 'x' }, { name: 'y', host: { arch: 's390x' }, workload: { kind: 'ops', steps: [] } }]) {
      const first = loadScenario({ value });
      if (!first.ok) continue;
      const again = loadScenario({ value: JSON.parse(JSON.stringify(first.scenario)) as unknown });
      expect(again.ok ? [] : again.problems).toEqual([]);
      expect(again.ok && again.scenario).toEqual(first.scenario);
    }
  });

  it('does not change the input object', () => {
    const input = { name: 'x', vms: [{ vcpus: 1 }] };
    applyOverrides(input, ['vms.0.vcpus=8']);
    expect(input.vms[0]!.vcpus).toBe(1);
  });
});
