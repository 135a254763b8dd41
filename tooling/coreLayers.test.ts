// The direction inside core/ (tooling/coreLayers.cjs) is enforced by dependency-cruiser, and this
// proves each rule fires: a throw-away tree gets one file in the importing layer and one in the
// imported layer, and the cruise with the project's rules must report exactly the layer's rule.
// It also checks that every core/ file belongs to a layer, so no folder escapes the rules.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs') as { forbidden: IForbiddenRuleType[] };
const { CORE_LAYERS } = require('./coreLayers.cjs') as { CORE_LAYERS: { layer: string; may: string[]; reason: string }[] };

const root = mkdtempSync(join(tmpdir(), 'pcilab-layers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** Cruises `from` importing `to` (folders under core/) in a fresh tree; returns the violated rule names. */
async function violations(from: string, to: string, fromFile = 'a.ts'): Promise<string[]> {
  const dir = join(root, String(n++));
  const a = join(dir, 'core', from, fromFile);
  const b = join(dir, 'core', to, 'b.ts');
  mkdirSync(dirname(a), { recursive: true });
  mkdirSync(dirname(b), { recursive: true });
  const depth = from.split('/').length + 1;
  writeFileSync(a, `import { b } from '${'../'.repeat(depth)}core/${to}/b';\nexport const a = b;\n`);
  writeFileSync(b, 'export const b = 1;\n');
  const result = await cruise(['core'], {
    baseDir: dir,
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    tsPreCompilationDeps: true,
  });
  const output = result.output as { summary: { violations: { rule: { name: string } }[] } };
  return output.summary.violations.map((v) => v.rule.name);
}

describe('core layer rules', () => {
  it.each([
    ['model/vfio', 'run', 'core-model-vfio'],
    ['model/s390', 'ops', 'core-model-s390'],
    ['scenario', 'run', 'core-scenario'],
    ['model/x86', 'model/s390', 'core-model-x86'],
    ['model/ppc/eeh', 'model/x86', 'core-model-ppc'],
    ['model/vfio', 'model/ppc', 'core-model-vfio'],
    ['model/guestDma', 'model/s390', 'core-model-guestDma'],
    ['sim', 'contract', 'core-sim'],
    ['stack', 'workload', 'core-stack'],
    ['ops', 'faults', 'core-ops'],
    ['workload', 'run', 'core-workload'],
  ])('%s -> %s fails with %s', async (from, to, rule) => {
    expect(await violations(from, to)).toEqual([rule]);
  });

  it('every layer rule fires on an import the layer does not list', async () => {
    const layers = CORE_LAYERS.map((l) => l.layer);
    for (const { layer, may } of CORE_LAYERS) {
      // run may import every layer: its rule still refuses a folder that is no layer.
      const target =
        [...layers].find((l) => l !== layer && !may.includes(l) && !l.startsWith(`${layer}/`) && !layer.startsWith(`${l}/`)) ?? 'unlayered';
      expect(await violations(layer, target), `${layer} -> ${target}`).toEqual([`core-${layer.replace(/\//g, '-')}`]);
    }
  });

  it('allows what a layer lists, and exempts test files', async () => {
    expect(await violations('model/s390', 'model/vfio')).toEqual([]);
    expect(await violations('run', 'model/ppc/eeh')).toEqual([]);
    expect(await violations('model/vfio', 'run', 'a.test.ts')).toEqual([]);
  });

  it('every core/ file belongs to a layer', () => {
    const files = execSync('git ls-files core', { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname }).split('\n');
    const unlayered = files.filter((f) => f.endsWith('.ts') && !CORE_LAYERS.some(({ layer }) => f.startsWith(`core/${layer}/`)));
    expect(unlayered).toEqual([]);
  });
});
