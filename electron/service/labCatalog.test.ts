import { describe, expect, it } from 'vitest';
import { labCatalog, platformCatalog, presetDetail, presetSummary, versionImplications } from './labCatalog';
import { OPS } from '../../core/ops/opRegistry';
import { PRESETS } from '../../core/scenario/presets';
import { validateScenario } from '../../core/scenario/loadScenario';
import { HostSchema } from '../../core/scenario/schema';

describe('the catalog lists every op with its layer, summary and argument schema', () => {
  const ops = labCatalog('test').ops;

  it('has one entry per registered op, in registry order', () => {
    expect(ops.map((o) => o.name)).toEqual([...OPS.keys()]);
    for (const o of ops) {
      expect(o.layer).not.toBe('');
      expect(o.summary).not.toBe('');
      expect(o.argsSchema).toMatchObject({ type: 'object' });
    }
  });

  it("describes an op's arguments as their input form: required fields, numbers or hex strings, defaults", () => {
    const map = ops.find((o) => o.name === 'vfio.map')!.argsSchema as {
      required: string[];
      properties: Record<string, { anyOf?: { type: string; pattern?: string }[]; default?: unknown }>;
    };
    expect(map.required).toEqual(['iova', 'vaddr', 'size']);
    expect(map.properties['iova']!.anyOf!.map((a) => a.type)).toEqual(['integer', 'string']);
    expect(map.properties['iova']!.anyOf![1]!.pattern).toMatch(/^\^0x/);
    expect(map.properties['read']!.default).toBe(true);
    expect(map).not.toHaveProperty('$schema');
  });
});

describe('the catalog states which hypervisors each architecture runs, as the validator decides', () => {
  const platforms = platformCatalog();
  const hypervisors = HostSchema.shape.hypervisor.unwrap().options;

  it('lists exactly the arch x hypervisor pairs the lab accepts', () => {
    expect(platforms.map((p) => p.arch)).toEqual(HostSchema.shape.arch.unwrap().options);
    for (const p of platforms) {
      for (const hypervisor of hypervisors) {
        const result = validateScenario({ name: 'probe', host: { arch: p.arch, hypervisor } });
        const refused = !result.ok && result.problems.some((x) => x.startsWith('host.hypervisor:'));
        expect(refused, `${p.arch} ${hypervisor}`).toBe(!p.hypervisors.includes(hypervisor));
      }
    }
  });

  it('gives the per-arch defaults the loader fills in, each with its source', () => {
    for (const p of platforms) {
      const result = validateScenario({ name: 'probe', host: { arch: p.arch } });
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.scenario.host.vfio.backend).toBe(p.defaults.backend.value);
      expect(result.scenario.vms[0]!.viommu.model).toBe(p.defaults.viommu.value);
      expect(p.defaults.backend.source).not.toBe('');
      expect(p.defaults.viommu.source).not.toBe('');
    }
    expect(platforms.find((p) => p.arch === 'ppc64le')!.defaults.backend.value).toBe('spapr-tce-v2');
  });
});

describe('presets', () => {
  it('carry the variants they compare, with their overrides, in the summary and the detail', () => {
    const withVariants = PRESETS.find((p) => (p.variants ?? []).length > 0)!;
    const detail = presetDetail(withVariants);
    expect(detail.variants).toEqual(withVariants.variants!.map((v) => ({ name: v.name, description: v.description, set: [...v.set] })));
    expect(detail.variants.length).toBeGreaterThan(0);
    expect(presetSummary(withVariants).variants).toEqual(detail.variants);
    const plain = PRESETS.find((p) => p.variants === undefined)!;
    expect(presetDetail(plain).variants).toEqual([]);
  });
});

describe('versionImplications (getImpliedSwitches)', () => {
  it('lists what the versions imply, and only a different value as an override', () => {
    const raw = {
      name: 's',
      host: { arch: 's390x', qemu: { version: '7.1' } },
      vms: [{ viommu: { s390: { coalescedUnmap: false, rpcitSecondPass: true } } }],
    };
    const list = versionImplications(raw);
    const at = (p: string) => list.find((i) => i.path === p)!;
    expect(at('vms.0.viommu.s390.rpcitSecondPass')).toMatchObject({ value: false, overridden: true, scenarioValue: true });
    expect(at('vms.0.viommu.s390.rpcitSecondPass').because).toMatch(/QEMU < 7\.2/);
    // Set to the value the version gives (a stored run's filled-in scenario): not an override.
    expect(at('vms.0.viommu.s390.coalescedUnmap')).toMatchObject({ value: false, overridden: false, scenarioValue: false });
    expect(at('vms.0.viommu.s390.apertureRestriction')).toMatchObject({ value: false, overridden: false });
    expect(at('vms.0.viommu.s390.apertureRestriction')).not.toHaveProperty('scenarioValue');
    expect(
      versionImplications({ host: { arch: 's390x', qemu: { version: '7.2' } } }).find((i) => i.path.endsWith('rpcitSecondPass'))!.value,
    ).toBe(true);
  });
});
