import { describe, expect, it } from 'vitest';
import { IOVA_TREE_OPS } from './iovaTreeOps';
import { IOVA_TREE_METRICS } from '../model/qemu/iovaTreeMetrics';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { OpOutcome, OpsEnvironment } from './opTypes';
import { loadScenario } from '../scenario/loadScenario';
import { resolveCostTable } from '../sim/costTable';

function envWith(fix: string): OpsEnvironment {
  const r = loadScenario({ value: { name: 'iova-tree', host: { qemu: { iovaTree: { fix } } } } });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return createHostEnvironment(r.scenario, resolveCostTable());
}

function call(env: OpsEnvironment, op: string, args: Record<string, unknown>): OpOutcome {
  const def = IOVA_TREE_OPS.find((d) => d.name === op);
  if (def === undefined) throw new Error(`no op ${op}`);
  return def.run(env, def.args.parse(args));
}

/** Reference 004: GPA 0 and GPA 4 GiB both backed by host 0x7f1234000000. */
function aliasScript(env: OpsEnvironment): OpOutcome {
  call(env, 'iovaTree.insert', { iova: '0x100000', translatedAddr: '0x7f1234000000', size: '0xfffff', id: 0 });
  call(env, 'iovaTree.insert', { iova: '0x800000', translatedAddr: '0x7f1234000000', size: '0xfffff', id: '0x100000000' });
  return call(env, 'iovaTree.findIova', { translatedAddr: '0x7f1234002000', size: '0xfff', id: '0x100000000' });
}

describe('iovaTree.* ops', () => {
  it('defines every iovaTree.* op name', () => {
    expect(IOVA_TREE_OPS.map((o) => o.name)).toEqual([
      'iovaTree.insert',
      'iovaTree.find',
      'iovaTree.findIova',
      'iovaTree.remove',
      'iovaTree.allocMap',
    ]);
  });

  it('today the alias lookup returns the other region: ret.wrong is true (reference 004)', () => {
    const out = aliasScript(envWith('none'));
    expect(out.ok).toBe(true);
    expect(out.ret).toMatchObject({ map: { iova: 0x100000, id: 0 }, wrong: true, partial: false });
  });

  it("with host.qemu.iovaTree.fix = 'id' the alias lookup returns the right region", () => {
    const out = aliasScript(envWith('id'));
    expect(out.ret).toMatchObject({ map: { iova: 0x800000, id: 0x100000000 }, wrong: false });
  });

  it('reports failures by their iova-tree.h names and runs on lane iovaTree.<name>', () => {
    const env = envWith('none');
    expect(call(env, 'iovaTree.insert', { iova: 0, translatedAddr: 0, size: 0xfff, perm: 'none' })).toMatchObject({
      ok: false,
      errno: 'IOVA_ERR_INVALID',
      lane: 'iovaTree.tree0',
    });
    call(env, 'iovaTree.insert', { iova: 0, translatedAddr: 0, size: 0xfff });
    expect(call(env, 'iovaTree.insert', { iova: 0x800, translatedAddr: 0, size: 0 }).errno).toBe('IOVA_ERR_OVERLAP');
    expect(call(env, 'iovaTree.allocMap', { translatedAddr: 0, size: 0xfff, begin: 0x1000, last: 0x1ffe }).errno).toBe('IOVA_ERR_NOMEM');
    expect(call(env, 'iovaTree.insert', { tree: 'svq', iova: 0, translatedAddr: 0, size: 0xfff }).lane).toBe('iovaTree.svq');
  });

  it('a find that finds nothing is ok with ret null; allocMap returns the IOVA; remove returns maps removed', () => {
    const env = envWith('none');
    expect(call(env, 'iovaTree.find', { iova: 0, size: 0 })).toMatchObject({ ok: true, errno: null, ret: null });
    expect(
      call(env, 'iovaTree.allocMap', { translatedAddr: '0x7f0000000000', size: 0xfff, begin: 0x1000, last: '0xffffffffffffffff' }).ret,
    ).toBe(0x1000);
    expect(call(env, 'iovaTree.find', { iova: 0x1800, size: 0 }).ret).toMatchObject({ iova: 0x1000, translatedAddr: 0x7f0000000000 });
    expect(call(env, 'iovaTree.remove', { iova: 0, size: '0xffffffffffff' }).ret).toBe(1);
  });

  it('shows addresses above 2^53 as hex strings', () => {
    const env = envWith('none');
    call(env, 'iovaTree.insert', { iova: '0xfffffffffffff000', translatedAddr: 0x1000, size: 0xffe });
    expect(call(env, 'iovaTree.find', { iova: '0xfffffffffffff800', size: 0 }).ret).toMatchObject({ iova: '0xfffffffffffff000' });
  });

  it('reports comparisons and charges qemuIovaTreeStepNs per step', () => {
    const env = envWith('none');
    for (let i = 0; i < 8; i++) call(env, 'iovaTree.insert', { iova: i * 0x1000, translatedAddr: 0x10000 + i * 0x1000, size: 0xfff });
    const out = call(env, 'iovaTree.findIova', { translatedAddr: 0x17000, size: 0 });
    expect(out.ret).toMatchObject({ comparisons: 8 });
    expect(out.costNs).toBe(8 * env.costs.qemuIovaTreeStepNs);
  });

  it('lists every metric the trees report in IOVA_TREE_METRICS', () => {
    const env = envWith('none');
    aliasScript(env);
    const into: Record<string, number> = {};
    for (const inst of env.instances()) inst.collectMetrics(into);
    const names = new Set(IOVA_TREE_METRICS.map((m) => m.name));
    for (const k of Object.keys(into)) expect(names.has(k)).toBe(true);
    expect(into['iovaTree.wrongTranslations']).toBe(1);
  });
});
